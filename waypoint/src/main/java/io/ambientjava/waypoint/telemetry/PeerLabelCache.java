package io.ambientjava.waypoint.telemetry;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The source and destination labels of each distinct peer, made once: a waypoint sees the same few clients and
 * endpoints request after request, and splitting their names for every request was a tenth of its garbage.
 * Bounded: past {@value #MAX_ENTRIES} peers on a side it starts over.
 */
final class PeerLabelCache {

    static final int MAX_ENTRIES = 4096;

    private record SourceKey(Optional<String> workload, Optional<String> principal) {}

    private record DestinationKey(String service, Optional<String> workload, Optional<String> principal) {}

    private final Map<SourceKey, SourceLabels> sources = new ConcurrentHashMap<>();
    private final Map<DestinationKey, DestinationLabels> destinations = new ConcurrentHashMap<>();

    SourceLabels source(Optional<String> workload, Optional<String> principal) {
        return cached(sources, new SourceKey(workload, principal), k -> SourceLabels.of(k.workload(), k.principal()));
    }

    DestinationLabels destination(String service, Optional<String> workload, Optional<String> principal) {
        return cached(
                destinations,
                new DestinationKey(service, workload, principal),
                k -> DestinationLabels.of(k.service(), k.workload(), k.principal()));
    }

    private static <K, V> V cached(Map<K, V> map, K key, java.util.function.Function<K, V> make) {
        V value = map.get(key);
        if (value == null) {
            if (map.size() >= MAX_ENTRIES) {
                map.clear();
            }
            value = map.computeIfAbsent(key, make);
        }
        return value;
    }
}
