package io.ambientjava.waypoint.config;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The listeners of one config by what a connection is for, so that finding a request's listener is a few map
 * lookups, not a scan of every listener (a waypoint has one per service port): by exact address and port, by pod
 * address (the chains of an {@link ListenerConfig.Workloads} listener, any port), and by port for wildcard listeners.
 */
final class ListenerIndex {

    private record AddressPort(String address, int port) {}

    private final Map<AddressPort, Optional<ListenerConfig>> exact = new HashMap<>();
    private final Map<String, Optional<ListenerConfig>> pods = new HashMap<>();
    private final Map<Integer, Optional<ListenerConfig>> wildcards = new HashMap<>();

    ListenerIndex(Iterable<ListenerConfig> listeners) {
        for (ListenerConfig listener : listeners) {
            if (listener.kind() instanceof ListenerConfig.Workloads workloads) {
                workloads.byAddress().forEach((address, chain) -> pods.putIfAbsent(address, Optional.of(chain)));
            } else if (listener.address().equals("0.0.0.0")
                    || listener.address().equals("::")) {
                wildcards.putIfAbsent(listener.port(), Optional.of(listener));
            } else {
                exact.putIfAbsent(new AddressPort(listener.address(), listener.port()), Optional.of(listener));
            }
        }
    }

    /** One bound to exactly {@code address:port}, else a pod's chain for {@code address}, else a wildcard. */
    Optional<ListenerConfig> find(String address, int port) {
        Optional<ListenerConfig> found = exact.get(new AddressPort(address, port));
        if (found == null) {
            found = pods.get(address);
        }
        if (found == null) {
            found = wildcards.getOrDefault(port, Optional.empty());
        }
        return found;
    }
}
