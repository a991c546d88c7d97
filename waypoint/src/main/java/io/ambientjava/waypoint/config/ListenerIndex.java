package io.ambientjava.waypoint.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The listeners of one config by what a connection is for, so that finding a request's listener is a map lookup and a
 * scan of the few ports of one address, not a scan of every listener (a waypoint has one per service port): by
 * address and port, by pod address (the chains of an {@link ListenerConfig.Workloads} listener, any port), and by
 * port for wildcard listeners. A lookup allocates nothing: it runs for every request.
 */
final class ListenerIndex {

    private record OnPort(int port, Optional<ListenerConfig> listener) {}

    private final Map<String, List<OnPort>> byAddress = new HashMap<>();
    private final Map<String, Optional<ListenerConfig>> pods = new HashMap<>();
    private final List<OnPort> wildcards = new ArrayList<>();

    ListenerIndex(Iterable<ListenerConfig> listeners) {
        for (ListenerConfig listener : listeners) {
            if (listener.kind() instanceof ListenerConfig.Workloads workloads) {
                workloads.byAddress().forEach((address, chain) -> pods.putIfAbsent(address, Optional.of(chain)));
            } else if (listener.address().equals("0.0.0.0")
                    || listener.address().equals("::")) {
                wildcards.add(new OnPort(listener.port(), Optional.of(listener)));
            } else {
                byAddress
                        .computeIfAbsent(listener.address(), a -> new ArrayList<>())
                        .add(new OnPort(listener.port(), Optional.of(listener)));
            }
        }
    }

    /** One bound to exactly {@code address:port}, else a pod's chain for {@code address}, else a wildcard. */
    Optional<ListenerConfig> find(String address, int port) {
        Optional<ListenerConfig> exact = onPort(byAddress.getOrDefault(address, List.of()), port);
        if (exact.isPresent()) {
            return exact;
        }
        Optional<ListenerConfig> pod = pods.get(address);
        return pod != null ? pod : onPort(wildcards, port);
    }

    private static Optional<ListenerConfig> onPort(List<OnPort> listeners, int port) {
        for (OnPort candidate : listeners) {
            if (candidate.port() == port) {
                return candidate.listener();
            }
        }
        return Optional.empty();
    }
}
