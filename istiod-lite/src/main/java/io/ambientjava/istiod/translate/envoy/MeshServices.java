package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.translate.AmbientEnrollment;
import io.ambientjava.istiod.translate.LabelSelector;
import io.ambientjava.istiod.translate.MeshSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The Kubernetes Services of a snapshot by hostname, with their ports and the pods behind them. */
final class MeshServices {

    /** A service port and how Istio reads its protocol. */
    /** @param http2 its protocol is HTTP/2 ({@code grpc}, {@code grpc-web}, {@code http2}, {@code h2c}): the cluster speaks h2 */
    record MeshPort(int number, String name, boolean http, boolean http2, Integer targetNumber, String targetName) {
        /** The pod port this service port reaches on one pod; empty when a named target port is missing. */
        Optional<Integer> targetOn(Pod pod) {
            if (targetNumber != null) {
                return Optional.of(targetNumber);
            }
            if (targetName == null) {
                return Optional.of(number);
            }
            for (Container container :
                    listOrEmpty(pod.getSpec() == null ? null : pod.getSpec().getContainers())) {
                for (ContainerPort port : listOrEmpty(container.getPorts())) {
                    if (targetName.equals(port.getName()) && port.getContainerPort() != null) {
                        return Optional.of(port.getContainerPort());
                    }
                }
            }
            return Optional.empty();
        }
    }

    /** A pod behind a service, with what a waypoint needs to reach it. */
    record Backend(Pod pod, String ip, Map<String, String> labels, boolean hbone, boolean ready, String identity) {}

    record MeshService(
            String namespace, String name, String hostname, List<String> vips, List<MeshPort> ports, Service service) {

        Optional<MeshPort> port(int number) {
            return ports.stream().filter(p -> p.number() == number).findFirst();
        }
    }

    private final MeshSettings settings;
    private final ConfigSnapshot snapshot;
    private final Map<String, MeshService> byHostname = new HashMap<>();
    /** Filled on demand: only the services some proxy uses need their pods matched (pods × services is costly). */
    private final Map<String, List<Backend>> backends = new HashMap<>();

    private Map<String, List<Backend>> podsByNamespace;

    MeshServices(ConfigSnapshot snapshot, MeshSettings settings) {
        this.settings = settings;
        this.snapshot = snapshot;
        for (Service service : snapshot.services()) {
            if (service.getSpec() == null) {
                continue;
            }
            String namespace = service.getMetadata().getNamespace();
            String name = service.getMetadata().getName();
            String hostname = settings.serviceHostname(name, namespace);
            List<MeshPort> ports = new ArrayList<>();
            for (ServicePort port : listOrEmpty(service.getSpec().getPorts())) {
                if (port.getPort() == null) {
                    continue;
                }
                var target = port.getTargetPort();
                ports.add(new MeshPort(
                        port.getPort(),
                        port.getName(),
                        http(port),
                        http2(port),
                        target == null ? null : target.getIntVal(),
                        target == null ? null : target.getStrVal()));
            }
            byHostname.put(hostname, new MeshService(namespace, name, hostname, vips(service), ports, service));
        }
    }

    ConfigSnapshot snapshot() {
        return snapshot;
    }

    Optional<MeshService> byHostname(String hostname) {
        return Optional.ofNullable(byHostname.get(hostname));
    }

    /** The pods the service's selector selects (none for a service without selector). */
    List<Backend> backends(String hostname) {
        MeshService service = byHostname.get(hostname);
        if (service == null) {
            return List.of();
        }
        return backends.computeIfAbsent(hostname, h -> {
            Map<String, String> selector = service.service().getSpec().getSelector();
            if (selector == null || selector.isEmpty()) {
                return List.of();
            }
            return podsIn(service.namespace()).stream()
                    .filter(b -> LabelSelector.selects(selector, b.labels()))
                    .toList();
        });
    }

    private List<Backend> podsIn(String namespace) {
        if (podsByNamespace == null) {
            podsByNamespace = new HashMap<>();
            for (Pod pod : snapshot.pods()) {
                backend(pod, snapshot)
                        .ifPresent(b -> podsByNamespace
                                .computeIfAbsent(pod.getMetadata().getNamespace(), n -> new ArrayList<>())
                                .add(b));
            }
        }
        return podsByNamespace.getOrDefault(namespace, List.of());
    }

    /**
     * A host as a VirtualService or DestinationRule writes it, made a full hostname the way Istio does: a name
     * without dots is a short name in the resource's namespace; anything with a dot (or {@code *}) stays as written.
     */
    String resolve(String host, String namespace) {
        if (host == null || host.isEmpty() || host.equals("*") || host.contains(".")) {
            return host == null ? "" : host;
        }
        return settings.serviceHostname(host, namespace);
    }

    /**
     * HTTP unless declared otherwise: the contract treats every port as HTTP except those whose appProtocol or
     * name prefix says {@code tcp}, {@code tls}, {@code https}, {@code mongo}, {@code mysql} or {@code redis}
     * (opaque to an HTTP parser).
     */
    static boolean http(ServicePort port) {
        return switch (declaredProtocol(port)) {
            case "tcp", "tls", "https", "mongo", "mysql", "redis" -> false;
            default -> true;
        };
    }

    /**
     * HTTP/2 to the backend, as Istio's protocol selection has it: appProtocol or name prefix {@code grpc},
     * {@code grpc-web}, {@code http2}, or appProtocol {@code kubernetes.io/h2c}.
     */
    static boolean http2(ServicePort port) {
        return switch (declaredProtocol(port)) {
            case "grpc", "grpc-web", "http2", "h2c", "kubernetes.io/h2c" -> true;
            default -> false;
        };
    }

    /** The appProtocol, else the port name up to its first dash, lower case. */
    private static String declaredProtocol(ServicePort port) {
        String declared = port.getAppProtocol();
        if (declared == null || declared.isEmpty()) {
            String name = port.getName() == null ? "" : port.getName();
            int dash = name.indexOf('-');
            declared = dash < 0 ? name : name.substring(0, dash);
        }
        return declared.toLowerCase(Locale.ROOT);
    }

    private Optional<Backend> backend(Pod pod, ConfigSnapshot snapshot) {
        var status = pod.getStatus();
        if (status == null || status.getPodIP() == null || status.getPodIP().isEmpty()) {
            return Optional.empty();
        }
        if ("Succeeded".equals(status.getPhase()) || "Failed".equals(status.getPhase())) {
            return Optional.empty();
        }
        return Optional.of(backend(pod, status.getPodIP()));
    }

    /** The pod at one of its IPs as a waypoint reaches it: its identity, and whether it is in the mesh (HBONE). */
    Backend backend(Pod pod, String ip) {
        String namespace = pod.getMetadata().getNamespace();
        String account = pod.getSpec() == null || pod.getSpec().getServiceAccountName() == null
                ? "default"
                : pod.getSpec().getServiceAccountName();
        String identity = "spiffe://" + settings.trustDomain() + "/ns/" + namespace + "/sa/" + account;
        boolean hbone = AmbientEnrollment.enrolled(pod, snapshot.namespace(namespace));
        return new Backend(pod, ip, LabelSelector.labelsOf(pod), hbone, ready(pod), identity);
    }

    private static boolean ready(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        var status = pod.getStatus();
        if (status.getConditions() == null) {
            return true;
        }
        for (PodCondition condition : status.getConditions()) {
            if ("Ready".equals(condition.getType())) {
                return "True".equals(condition.getStatus());
            }
        }
        return true;
    }

    private static List<String> vips(Service service) {
        var spec = service.getSpec();
        List<String> candidates =
                spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
                        ? spec.getClusterIPs()
                        : spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
        return candidates.stream()
                .filter(ip -> ip != null && !ip.isEmpty() && !ip.equals("None"))
                .toList();
    }

    static <T> List<T> listOrEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
