package io.ambientjava.ztunnel.app;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** A map whose content is computed on every read, so {@code /config_dump} shows a component's current status. */
final class LiveMap extends AbstractMap<String, Object> {

    private final Supplier<Map<String, Object>> content;

    LiveMap(Supplier<Map<String, Object>> content) {
        this.content = content;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return content.get().entrySet();
    }
}
