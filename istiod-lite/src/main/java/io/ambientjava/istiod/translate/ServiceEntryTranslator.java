package io.ambientjava.istiod.translate;

import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.Address;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A ServiceEntry with {@code resolution: STATIC} as ztunnel's services and workloads: one
 * {@code istio.workload.Service} per host (hostname = the host, VIPs = {@code addresses}, the ports with their
 * {@code targetPort}), and one workload per {@code endpoints} entry with an IP address (UID
 * {@code <cluster>/networking.istio.io/ServiceEntry/<ns>/<name>/<address>}, no HBONE: ztunnel connects to it
 * directly, its {@code ports} map naming the target of each service port). Pods its {@code workloadSelector} selects
 * list its hosts among their services ({@link #portsFor}). What is not translated is reported: other resolutions,
 * CIDR addresses, endpoints by host name, and a waypoint for the entry.
 */
final class ServiceEntryTranslator {

    private final MeshSettings settings;

    ServiceEntryTranslator(MeshSettings settings) {
        this.settings = settings;
    }

    /** Its services and endpoint workloads, by xDS resource name; warnings to {@code warn}. */
    Map<String, Address> translate(ConfigResource resource, Consumer<String> warn) {
        ServiceEntry entry = resource.as(ServiceEntry.class);
        var spec = entry.getSpec();
        Map<String, Address> out = new java.util.TreeMap<>();
        if (spec == null || spec.getHosts() == null || spec.getHosts().isEmpty()) {
            warn.accept("ServiceEntry without hosts; not applied");
            return out;
        }
        ServiceEntryResolution resolution =
                spec.getResolution() == null ? ServiceEntryResolution.NONE : spec.getResolution();
        if (resolution != ServiceEntryResolution.STATIC) {
            warn.accept("resolution " + resolution + " is not supported yet (only STATIC): its hosts get no service"
                    + " address, endpoints or waypoint, and calls to them leave the mesh directly, as they would"
                    + " without it");
            return out;
        }
        String namespace = entry.getMetadata().getNamespace();
        String name = entry.getMetadata().getName();
        Map<String, String> labels = LabelSelector.labelsOf(entry);
        if (labels.containsKey("istio.io/use-waypoint")) {
            warn.accept("istio.io/use-waypoint on a ServiceEntry is not supported yet: its traffic goes from ztunnel"
                    + " to the endpoints directly, without a waypoint");
        }
        List<ByteString> vips = new ArrayList<>();
        for (String address : listOrEmpty(spec.getAddresses())) {
            Optional<InetAddress> ip = IpPrefix.parseAddress(address);
            if (ip.isPresent()) {
                vips.add(ByteString.copyFrom(ip.get().getAddress()));
            } else {
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
            vips.forEach(vip -> service.addAddresses(
                    NetworkAddress.newBuilder().setNetwork(settings.network()).setAddress(vip)));
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
        for (WorkloadEntry endpoint : listOrEmpty(spec.getEndpoints())) {
            Optional<InetAddress> ip =
                    IpPrefix.parseAddress(endpoint.getAddress() == null ? "" : endpoint.getAddress());
            if (ip.isEmpty()) {
                warn.accept("endpoint '" + endpoint.getAddress() + "' is not an IP address (endpoints by host name or"
                        + " Unix socket are not supported yet); left out");
                continue;
            }
            String address = ip.get().getHostAddress();
            Map<String, String> endpointLabels = endpoint.getLabels() == null ? Map.of() : endpoint.getLabels();
            Workload.Builder workload = OutsideWorkloads.builder(
                    settings,
                    settings.clusterId() + "/networking.istio.io/ServiceEntry/" + namespace + "/" + name + "/"
                            + address,
                    name,
                    namespace,
                    ip.get(),
                    endpoint.getServiceAccount(),
                    endpointLabels);
            PortList.Builder mapped = PortList.newBuilder();
            Map<String, Long> endpointPorts = endpoint.getPorts() == null ? Map.of() : endpoint.getPorts();
            for (ServicePort port : ports) {
                mapped.addPorts(Port.newBuilder()
                        .setServicePort(port.getNumber().intValue())
                        .setTargetPort(target(port, endpointPorts)));
            }
            for (String host : spec.getHosts()) {
                workload.putServices(namespace + "/" + host, mapped.build());
            }
            Workload built = workload.build();
            out.put(built.getUid(), Address.newBuilder().setWorkload(built).build());
        }
        return out;
    }

    /**
     * The ports a pod its {@code workloadSelector} selects serves each host on (the service port to its
     * {@code targetPort}, else the same number), by {@code <namespace>/<host>}; empty when it selects no pods.
     */
    static Map<String, PortList> portsFor(ServiceEntry entry) {
        var spec = entry.getSpec();
        if (spec == null
                || spec.getResolution() != ServiceEntryResolution.STATIC
                || spec.getWorkloadSelector() == null) {
            return Map.of();
        }
        PortList.Builder mapped = PortList.newBuilder();
        for (ServicePort port : listOrEmpty(spec.getPorts())) {
            if (port.getNumber() != null) {
                mapped.addPorts(Port.newBuilder()
                        .setServicePort(port.getNumber().intValue())
                        .setTargetPort(target(port, Map.of())));
            }
        }
        Map<String, PortList> out = new java.util.LinkedHashMap<>();
        for (String host : listOrEmpty(spec.getHosts())) {
            out.put(entry.getMetadata().getNamespace() + "/" + host, mapped.build());
        }
        return out;
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
