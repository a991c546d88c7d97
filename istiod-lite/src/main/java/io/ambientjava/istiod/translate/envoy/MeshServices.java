package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.IpPrefix;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.AmbientEnrollment;
import io.ambientjava.istiod.translate.LabelSelector;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.translate.ServiceEntryAddresses;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
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

/**
 * The services of a snapshot by hostname, with their ports and what is behind them: Kubernetes Services with their
 * pods, and the hosts of ServiceEntries with their endpoints.
 */
final class MeshServices {

    /** A service port and how Istio reads its protocol. */
    /** @param http2 its protocol is HTTP/2 ({@code grpc}, {@code grpc-web}, {@code http2}, {@code h2c}): the cluster speaks h2 */
    record MeshPort(int number, String name, boolean http, boolean http2, Integer targetNumber, String targetName) {
        /**
         * The port this service port reaches on one backend: a ServiceEntry endpoint's own port for this port's name,
         * else the target port (a named one looked up in the pod's containers); empty when a named target port is
         * missing.
         */
        Optional<Integer> targetOn(Backend backend) {
            Integer own = name == null ? null : backend.namedPorts().get(name);
            if (own != null) {
                return Optional.of(own);
            }
            if (targetNumber != null) {
                return Optional.of(targetNumber);
            }
            if (targetName == null) {
                return Optional.of(number);
            }
            if (backend.pod().isEmpty()) {
                return Optional.empty();
            }
            Pod pod = backend.pod().get();
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

    /**
     * A workload behind a service, with what a waypoint needs to reach it: a pod, a WorkloadEntry, or a ServiceEntry
     * endpoint.
     *
     * @param name the pod's or WorkloadEntry's name, or the ServiceEntry's for its endpoints
     * @param address an IP, or for a ServiceEntry with DNS resolution also a DNS name the proxy resolves
     * @param namedPorts a ServiceEntry endpoint's or WorkloadEntry's own port per service port name
     */
    record Backend(
            Optional<Pod> pod,
            String name,
            String namespace,
            String address,
            Map<String, String> labels,
            boolean hbone,
            boolean ready,
            String identity,
            Map<String, Integer> namedPorts) {}

    /** Where a service's backends come from and how the proxy finds their addresses. */
    enum Resolution {
        /** The pods a Kubernetes Service selects, sent by EDS. */
        PODS,
        /** A ServiceEntry's IP endpoints (and the pods its workloadSelector picks), sent by EDS. */
        STATIC,
        /** A ServiceEntry's endpoints by DNS name, resolved by the proxy: every address is an endpoint. */
        DNS,
        /** As {@link #DNS}, but only the first address of each name is used. */
        DNS_ROUND_ROBIN
    }

    /**
     * A service a proxy can route to: a Kubernetes Service, or one host of a ServiceEntry ({@code service} empty,
     * {@code entry} the entry).
     */
    record MeshService(
            String namespace,
            String name,
            String hostname,
            List<String> vips,
            List<MeshPort> ports,
            Optional<Service> service,
            Optional<ServiceEntry> entry,
            Resolution resolution) {

        Optional<MeshPort> port(int number) {
            return ports.stream().filter(p -> p.number() == number).findFirst();
        }

        /** Its endpoints are resolved by the proxy (an Envoy DNS cluster), not sent by EDS. */
        boolean resolvedByProxy() {
            return resolution == Resolution.DNS || resolution == Resolution.DNS_ROUND_ROBIN;
        }

        /** The kind of resource that defines it, as a policy's {@code targetRefs} name it. */
        String kind() {
            return entry.isPresent() ? "ServiceEntry" : "Service";
        }
    }

    private final MeshSettings settings;
    private final ConfigSnapshot snapshot;
    private final Map<String, MeshService> byHostname = new HashMap<>();
    /** Filled on demand: only the services some proxy uses need their pods matched (pods × services is costly). */
    private final Map<String, List<Backend>> backends = new HashMap<>();

    private Map<String, List<Backend>> workloadsByNamespace;

    MeshServices(ConfigSnapshot snapshot, MeshSettings settings, ServiceEntryAddresses entryAddresses) {
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
            byHostname.put(
                    hostname,
                    new MeshService(
                            namespace,
                            name,
                            hostname,
                            vips(service),
                            ports,
                            Optional.of(service),
                            Optional.empty(),
                            Resolution.PODS));
        }
        for (ServiceEntry entry : snapshot.all(ResourceKind.SERVICE_ENTRY, ServiceEntry.class)) {
            addEntry(entry, entryAddresses);
        }
    }

    /**
     * One service per host of a ServiceEntry whose resolution a proxy can follow (STATIC, DNS, DNS_ROUND_ROBIN; the
     * workload translation reports the others). A Kubernetes Service of the same hostname comes first.
     */
    private void addEntry(ServiceEntry entry, ServiceEntryAddresses entryAddresses) {
        var spec = entry.getSpec();
        if (spec == null || spec.getHosts() == null) {
            return;
        }
        Resolution resolution;
        if (spec.getResolution() == null) {
            return;
        }
        switch (spec.getResolution()) {
            case STATIC -> resolution = Resolution.STATIC;
            case DNS -> resolution = Resolution.DNS;
            case DNS_ROUND_ROBIN -> resolution = Resolution.DNS_ROUND_ROBIN;
            default -> {
                return;
            }
        }
        List<MeshPort> ports = new ArrayList<>();
        for (var port : listOrEmpty(spec.getPorts())) {
            if (port.getNumber() == null) {
                continue;
            }
            String protocol =
                    port.getProtocol() == null ? "" : port.getProtocol().toLowerCase(Locale.ROOT);
            boolean http = switch (protocol) {
                case "http", "http2", "grpc", "grpc-web" -> true;
                default -> false;
            };
            boolean http2 = protocol.equals("http2") || protocol.startsWith("grpc");
            Integer target = port.getTargetPort() != null && port.getTargetPort() > 0
                    ? port.getTargetPort().intValue()
                    : null;
            ports.add(new MeshPort(port.getNumber().intValue(), port.getName(), http, http2, target, null));
        }
        for (String host : spec.getHosts()) {
            List<String> vips = entryAddresses.of(entry, host).stream()
                    .filter(a -> IpPrefix.parseAddress(a).isPresent())
                    .toList();
            byHostname.putIfAbsent(
                    host,
                    new MeshService(
                            entry.getMetadata().getNamespace(),
                            entry.getMetadata().getName(),
                            host,
                            vips,
                            ports,
                            Optional.empty(),
                            Optional.of(entry),
                            resolution));
        }
    }

    ConfigSnapshot snapshot() {
        return snapshot;
    }

    Optional<MeshService> byHostname(String hostname) {
        return Optional.ofNullable(byHostname.get(hostname));
    }

    /**
     * The pods the service's selector selects (none for a service without selector); for a ServiceEntry host its
     * endpoints, or the pods its {@code workloadSelector} picks, or (DNS resolution, neither given) the host itself.
     */
    List<Backend> backends(String hostname) {
        MeshService service = byHostname.get(hostname);
        if (service == null) {
            return List.of();
        }
        return backends.computeIfAbsent(hostname, h -> {
            if (service.entry().isPresent()) {
                return entryBackends(service, service.entry().get());
            }
            Map<String, String> selector =
                    service.service().orElseThrow().getSpec().getSelector();
            if (selector == null || selector.isEmpty()) {
                return List.of();
            }
            return selected(service.namespace(), selector);
        });
    }

    /** The pods and the WorkloadEntries (those with an IP address) of a namespace that a selector picks. */
    private List<Backend> selected(String namespace, Map<String, String> selector) {
        return workloadsIn(namespace).stream()
                .filter(b -> LabelSelector.selects(selector, b.labels()))
                .toList();
    }

    private List<Backend> entryBackends(MeshService service, ServiceEntry entry) {
        var spec = entry.getSpec();
        String namespace = service.namespace();
        if (spec.getWorkloadSelector() != null) {
            Map<String, String> selector = spec.getWorkloadSelector().getLabels();
            return selector == null || selector.isEmpty() ? List.of() : selected(namespace, selector);
        }
        List<Backend> out = new ArrayList<>();
        for (var endpoint : listOrEmpty(spec.getEndpoints())) {
            String address = endpoint.getAddress() == null ? "" : endpoint.getAddress();
            boolean ip = IpPrefix.parseAddress(address).isPresent();
            if (!ip && !service.resolvedByProxy()) {
                continue; // a name needs DNS resolution; the workload translation reports it
            }
            if (address.isEmpty() || address.startsWith("unix://")) {
                continue;
            }
            Map<String, Integer> ports = new HashMap<>();
            if (endpoint.getPorts() != null) {
                endpoint.getPorts().forEach((name, number) -> ports.put(name, number.intValue()));
            }
            out.add(outside(
                    service.name(),
                    service.namespace(),
                    address,
                    endpoint.getLabels() == null ? Map.of() : endpoint.getLabels(),
                    endpoint.getServiceAccount(),
                    ports));
        }
        if (out.isEmpty() && listOrEmpty(spec.getEndpoints()).isEmpty() && service.resolvedByProxy()) {
            out.add(outside(service.name(), service.namespace(), service.hostname(), Map.of(), null, Map.of()));
        }
        return out;
    }

    /** A ServiceEntry endpoint or a WorkloadEntry: outside the mesh (plain TCP), always ready. */
    private Backend outside(
            String name,
            String namespace,
            String address,
            Map<String, String> labels,
            String serviceAccount,
            Map<String, Integer> ports) {
        String account = serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount;
        String identity = "spiffe://" + settings.trustDomain() + "/ns/" + namespace + "/sa/" + account;
        return new Backend(
                Optional.empty(), name, namespace, address, labels, false, true, identity, Map.copyOf(ports));
    }

    /** The pods and IP-addressed WorkloadEntries of a namespace, indexed once for all services. */
    private List<Backend> workloadsIn(String namespace) {
        if (workloadsByNamespace == null) {
            workloadsByNamespace = new HashMap<>();
            for (Pod pod : snapshot.pods()) {
                backend(pod, snapshot)
                        .ifPresent(b -> workloadsByNamespace
                                .computeIfAbsent(b.namespace(), n -> new ArrayList<>())
                                .add(b));
            }
            for (WorkloadEntry entry : snapshot.all(ResourceKind.WORKLOAD_ENTRY, WorkloadEntry.class)) {
                workloadEntry(entry)
                        .ifPresent(b -> workloadsByNamespace
                                .computeIfAbsent(b.namespace(), n -> new ArrayList<>())
                                .add(b));
            }
        }
        return workloadsByNamespace.getOrDefault(namespace, List.of());
    }

    /** A WorkloadEntry with an IP address; the workload translation reports the others. */
    private Optional<Backend> workloadEntry(WorkloadEntry entry) {
        var spec = entry.getSpec();
        if (spec == null
                || spec.getAddress() == null
                || IpPrefix.parseAddress(spec.getAddress()).isEmpty()) {
            return Optional.empty();
        }
        Map<String, Integer> ports = new HashMap<>();
        if (spec.getPorts() != null) {
            spec.getPorts().forEach((name, number) -> ports.put(name, number.intValue()));
        }
        return Optional.of(outside(
                entry.getMetadata().getName(),
                entry.getMetadata().getNamespace(),
                spec.getAddress(),
                spec.getLabels() == null ? Map.of() : spec.getLabels(),
                spec.getServiceAccount(),
                ports));
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
        return new Backend(
                Optional.of(pod),
                pod.getMetadata().getName(),
                namespace,
                ip,
                LabelSelector.labelsOf(pod),
                hbone,
                ready(pod),
                identity,
                Map.of());
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
