package io.ambientjava.istiod.translate;

import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.LoadBalancing;
import io.ambientjava.api.workload.NetworkAddress;
import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.PortList;
import io.ambientjava.api.workload.Service;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.IpPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import java.net.InetAddress;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A ServiceEntry ({@code resolution: STATIC}, {@code DNS}, {@code DNS_ROUND_ROBIN} or {@code NONE}) as ztunnel's services and
 * workloads, as istiod's ambient index builds them: one {@code istio.workload.Service} per host (hostname = the host,
 * VIPs = {@code addresses}, the ports with their {@code targetPort}), and one workload per {@code endpoints} entry,
 * an endpoint of every host (UID {@code <cluster>/networking.istio.io/ServiceEntry/<ns>/<name>/<address>}, no HBONE:
 * ztunnel connects to it directly, its {@code ports} map naming the target of each service port). An endpoint's
 * address is an IP, or with DNS resolution also a DNS name: that workload has no address but the name as its
 * {@code hostname}, which ztunnel resolves when it connects. A DNS entry with neither endpoints nor a
 * {@code workloadSelector} has an implicit endpoint per host: a workload whose {@code hostname} is the host, an
 * endpoint of that host only. Pods its {@code workloadSelector} selects list its hosts among their services
 * ({@link #portsFor}). With {@code resolution: NONE} the hosts are services with their {@code addresses} and no
 * endpoints, in PASSTHROUGH mode: ztunnel sends a call to the address it was made to. What is not translated is
 * reported: endpoints of a NONE entry, CIDR addresses, Unix socket
 * endpoints, host names that are not valid DNS names (a wildcard host has no implicit endpoint), host names under
 * STATIC resolution. {@code istio.io/use-waypoint} on the entry (else its namespace) puts its hosts behind that
 * waypoint, as for a Service.
 */
final class ServiceEntryTranslator {

    /** The resolutions translated (all of Istio's but DYNAMIC_DNS); the others are reported. */
    private static final Set<ServiceEntryResolution> TRANSLATED = EnumSet.of(
            ServiceEntryResolution.STATIC,
            ServiceEntryResolution.DNS,
            ServiceEntryResolution.DNS_ROUND_ROBIN,
            ServiceEntryResolution.NONE);

    private final MeshSettings settings;

    ServiceEntryTranslator(MeshSettings settings) {
        this.settings = settings;
    }

    /** Its services and endpoint workloads, by xDS resource name; warnings to {@code warn}. */
    Map<String, Address> translate(
            ConfigResource resource,
            Optional<io.fabric8.kubernetes.api.model.Namespace> namespaceObject,
            WaypointIndex waypoints,
            ServiceEntryAddresses allocated,
            Consumer<String> warn) {
        ServiceEntry entry = resource.as(ServiceEntry.class);
        var spec = entry.getSpec();
        Map<String, Address> out = new java.util.TreeMap<>();
        if (spec == null || spec.getHosts() == null || spec.getHosts().isEmpty()) {
            warn.accept("ServiceEntry without hosts; not applied");
            return out;
        }
        ServiceEntryResolution resolution =
                spec.getResolution() == null ? ServiceEntryResolution.NONE : spec.getResolution();
        if (!TRANSLATED.contains(resolution)) {
            warn.accept("resolution " + resolution + " is not supported yet (only STATIC, DNS and DNS_ROUND_ROBIN):"
                    + " its hosts get no service address, endpoints or waypoint, and calls to them leave the mesh"
                    + " directly, as they would without it");
            return out;
        }
        boolean none = resolution == ServiceEntryResolution.NONE;
        boolean dns = !none && resolution != ServiceEntryResolution.STATIC;
        if (none && !listOrEmpty(spec.getEndpoints()).isEmpty()) {
            warn.accept("endpoints are not used with resolution NONE (calls go to the address they were made to);"
                    + " left out");
        }
        String namespace = entry.getMetadata().getNamespace();
        String name = entry.getMetadata().getName();
        Optional<WaypointIndex.Waypoint> waypoint = waypoints.forService(entry, warn);
        if (none && waypoint.isPresent()) {
            // a waypoint would need an ORIGINAL_DST cluster per host for it, which istiod-lite does not write yet
            warn.accept("resolution NONE is not served by waypoints yet: calls to its hosts go to their addresses"
                    + " through ztunnel, without waypoint " + waypoint.get().key());
            waypoint = Optional.empty();
        }
        for (String address : listOrEmpty(spec.getAddresses())) {
            if (IpPrefix.parseAddress(address).isEmpty()) {
                warn.accept("address '" + address + "' is not an IP address (CIDR ranges are not supported yet);"
                        + " left out");
            }
        }
        List<ServicePort> ports = listOrEmpty(spec.getPorts()).stream()
                .filter(p -> p.getNumber() != null)
                .toList();
        for (String host : spec.getHosts()) {
            Service.Builder service =
                    Service.newBuilder().setName(name).setNamespace(namespace).setHostname(host);
            waypoint.ifPresent(w -> service.setWaypoint(w.address()));
            if (none) {
                // as istiod: ztunnel sends each call to the address it was made to, the entry's endpoints or not
                service.setLoadBalancing(LoadBalancing.newBuilder()
                        .setMode(LoadBalancing.Mode.PASSTHROUGH)
                        .setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL));
            } else {
                ServiceTranslator.preference(ServiceTranslator.trafficDistribution(null, entry, namespaceObject))
                        .ifPresent(service::setLoadBalancing);
            }
            for (String address : allocated.of(entry, host)) {
                IpPrefix.parseAddress(address)
                        .ifPresent(ip -> service.addAddresses(NetworkAddress.newBuilder()
                                .setNetwork(settings.network())
                                .setAddress(ByteString.copyFrom(ip.getAddress()))));
            }
            for (ServicePort port : ports) {
                service.addPorts(Port.newBuilder()
                        .setServicePort(port.getNumber().intValue())
                        .setTargetPort(target(port, Map.of()))
                        .setAppProtocol(ServiceTranslator.appProtocol(port.getProtocol())));
            }
            out.put(
                    namespace + "/" + host,
                    Address.newBuilder().setService(service).build());
        }
        String uidPrefix = settings.clusterId() + "/networking.istio.io/ServiceEntry/" + namespace + "/" + name + "/";
        for (WorkloadEntry endpoint : none ? List.<WorkloadEntry>of() : listOrEmpty(spec.getEndpoints())) {
            String address = endpoint.getAddress() == null ? "" : endpoint.getAddress();
            Map<String, String> endpointLabels = endpoint.getLabels() == null ? Map.of() : endpoint.getLabels();
            Optional<InetAddress> ip = IpPrefix.parseAddress(address);
            Workload.Builder workload;
            if (ip.isPresent()) {
                workload = OutsideWorkloads.builder(
                        settings,
                        uidPrefix + ip.get().getHostAddress(),
                        name,
                        namespace,
                        ip.get(),
                        endpoint.getServiceAccount(),
                        endpointLabels);
            } else if (address.startsWith("unix://")) {
                warn.accept("endpoint '" + address + "' is a Unix socket, which is not supported yet; left out");
                continue;
            } else if (!dns) {
                warn.accept("endpoint '" + address + "' is not an IP address (with resolution STATIC endpoints are"
                        + " IP addresses; host names need DNS or DNS_ROUND_ROBIN); left out");
                continue;
            } else if (!OutsideWorkloads.isDnsName(address)) {
                warn.accept("endpoint '" + address + "' is neither an IP address nor a valid DNS name (labels of"
                        + " letters, digits and '-', 1 to 63 characters each, at most 253 in all); left out");
                continue;
            } else {
                workload = OutsideWorkloads.builder(
                        settings,
                        uidPrefix + address,
                        name,
                        namespace,
                        address,
                        endpoint.getServiceAccount(),
                        endpointLabels);
            }
            OutsideWorkloads.placed(workload, endpoint);
            Map<String, Long> endpointPorts = endpoint.getPorts() == null ? Map.of() : endpoint.getPorts();
            PortList mapped = targets(ports, endpointPorts);
            for (String host : spec.getHosts()) {
                workload.putServices(namespace + "/" + host, mapped);
            }
            Workload built = workload.build();
            out.put(built.getUid(), Address.newBuilder().setWorkload(built).build());
        }
        if (dns && listOrEmpty(spec.getEndpoints()).isEmpty() && spec.getWorkloadSelector() == null) {
            PortList mapped = targets(ports, Map.of());
            for (String host : spec.getHosts()) {
                if (host.contains("*")) {
                    warn.accept("host '" + host + "' is a wildcard, which cannot be resolved: it gets no implicit"
                            + " endpoint (list its endpoints in the entry)");
                    continue;
                }
                if (!OutsideWorkloads.isDnsName(host)) {
                    warn.accept("host '" + host + "' is not a valid DNS name (labels of letters, digits and '-', 1"
                            + " to 63 characters each, at most 253 in all): it gets no implicit endpoint");
                    continue;
                }
                Workload built = OutsideWorkloads.builder(
                                settings, uidPrefix + host, name, namespace, host, null, Map.of())
                        .putServices(namespace + "/" + host, mapped)
                        .build();
                out.put(built.getUid(), Address.newBuilder().setWorkload(built).build());
            }
        }
        return out;
    }

    /**
     * The ports a pod its {@code workloadSelector} selects serves each host on (the service port to its
     * {@code targetPort}, else the same number), by {@code <namespace>/<host>}; empty when it selects no pods.
     */
    static Map<String, PortList> portsFor(ServiceEntry entry) {
        var spec = entry.getSpec();
        if (spec == null || !TRANSLATED.contains(spec.getResolution()) || spec.getWorkloadSelector() == null) {
            return Map.of();
        }
        PortList mapped = targets(
                listOrEmpty(spec.getPorts()).stream()
                        .filter(p -> p.getNumber() != null)
                        .toList(),
                Map.of());
        Map<String, PortList> out = new java.util.LinkedHashMap<>();
        for (String host : listOrEmpty(spec.getHosts())) {
            out.put(entry.getMetadata().getNamespace() + "/" + host, mapped);
        }
        return out;
    }

    /** Each service port to its target on an endpoint with these {@code ports} ({@link #target}). */
    private static PortList targets(List<ServicePort> ports, Map<String, Long> endpointPorts) {
        PortList.Builder mapped = PortList.newBuilder();
        for (ServicePort port : ports) {
            mapped.addPorts(Port.newBuilder()
                    .setServicePort(port.getNumber().intValue())
                    .setTargetPort(target(port, endpointPorts)));
        }
        return mapped.build();
    }

    /** The endpoint's own port for the service port's name, else its {@code targetPort}, else its number. */
    private static int target(ServicePort port, Map<String, Long> endpointPorts) {
        Long own = port.getName() == null ? null : endpointPorts.get(port.getName());
        if (own != null) {
            return own.intValue();
        }
        return (port.getTargetPort() != null && port.getTargetPort() > 0 ? port.getTargetPort() : port.getNumber())
                .intValue();
    }

    private static <T> List<T> listOrEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
