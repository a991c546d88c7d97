package io.ambientjava.istiod.translate;

import io.ambientjava.istiod.config.ResourceKey;
import java.util.Objects;

/**
 * A resource that was translated with less effect than written (an L7 rule ztunnel cannot enforce, a waypoint
 * that does not exist, an unsupported action), so that it is never dropped silently.
 */
public record TranslationWarning(ResourceKey resource, String message) {

    public TranslationWarning {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return resource + ": " + message;
    }
}
