package io.ambientjava.ztunnel.proxy;

import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import java.util.Map;
import java.util.Optional;

/**
 * Which service an inbound connection was most likely for, when the client did not say: the first service of the
 * destination workload that maps a port to the connection's target port (as upstream ztunnel guesses for its
 * inbound telemetry).
 */
public final class ServiceGuess {

    private ServiceGuess() {}

    public static Optional<Service> forTargetPort(StateSnapshot snapshot, Workload workload, int targetPort) {
        for (Map.Entry<NamespacedHostname, PortMap> entry : workload.services().entrySet()) {
            Optional<Service> service = snapshot.service(entry.getKey());
            if (service.isEmpty()) {
                continue;
            }
            if (entry.getValue().ports().containsValue(targetPort)) {
                return service;
            }
            for (Map.Entry<Integer, Integer> port :
                    service.get().ports().ports().entrySet()) {
                int own = entry.getValue().target(port.getKey()).orElse(0);
                int target = own > 0 ? own : port.getValue();
                if (target == targetPort || (target == 0 && port.getKey() == targetPort)) {
                    return service;
                }
            }
        }
        return Optional.empty();
    }
}
