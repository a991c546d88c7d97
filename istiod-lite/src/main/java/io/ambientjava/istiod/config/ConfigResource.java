package io.ambientjava.istiod.config;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Objects;

/**
 * One valid resource and where it came from. The model object is a fabric8 type and, like every object in a
 * {@link ConfigSnapshot}, must not be modified.
 */
public record ConfigResource(ResourceKey key, HasMetadata object, SourceLocation location) {

    public ConfigResource {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(location, "location");
        if (!key.kind().modelClass().isInstance(object)) {
            throw new IllegalArgumentException(
                    key + " carries a " + object.getClass().getName());
        }
    }

    public <T extends HasMetadata> T as(Class<T> type) {
        return type.cast(object);
    }
}
