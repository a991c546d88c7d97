package io.ambientjava.ztunnel.state;

import java.util.Collections;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Service port to target port. A target of 0 means "not set here"; resolution then falls back to another
 * mapping (see {@link io.ambientjava.ztunnel.state.lb.RoundRobinPicker}).
 */
public record PortMap(Map<Integer, Integer> ports) {

    private static final PortMap EMPTY = new PortMap(Map.of());

    public PortMap {
        TreeMap<Integer, Integer> copy = new TreeMap<>();
        ports.forEach((service, target) -> {
            if (service == null || service < 1 || service > 65535) {
                throw new IllegalArgumentException("service port " + service + " is not in 1..65535");
            }
            if (target == null || target < 0 || target > 65535) {
                throw new IllegalArgumentException(
                        "target port " + target + " (for service port " + service + ") is not in 0..65535");
            }
            copy.put(service, target);
        });
        ports = Collections.unmodifiableMap(copy);
    }

    public static PortMap empty() {
        return EMPTY;
    }

    public static PortMap of(int servicePort, int targetPort) {
        return new PortMap(Map.of(servicePort, targetPort));
    }

    public boolean contains(int servicePort) {
        return ports.containsKey(servicePort);
    }

    /** The target for a service port, if the port is listed (the value may be 0: listed without a target). */
    public OptionalInt target(int servicePort) {
        Integer target = ports.get(servicePort);
        return target == null ? OptionalInt.empty() : OptionalInt.of(target);
    }

    public boolean isEmpty() {
        return ports.isEmpty();
    }
}
