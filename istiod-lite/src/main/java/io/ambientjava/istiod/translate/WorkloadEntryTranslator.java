package io.ambientjava.istiod.translate;

import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.PortList;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.IpPrefix;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A WorkloadEntry (a VM or other host outside Kubernetes) as a workload outside the mesh: UID
 * {@code <cluster>/networking.istio.io/WorkloadEntry/<ns>/<name>}, its address, service account and labels, no HBONE
 * (ztunnel connects to it directly), and as an endpoint of the Services whose selector matches its labels and of the
 * ServiceEntries whose {@code workloadSelector} does. Its {@code ports} map a service port's name to its own port,
 * as Istio reads them. An address that is a DNS name instead of an IP makes a workload without addresses whose
 * {@code hostname} is that name (ztunnel resolves it when it connects). Reported and left out: a Unix socket address
 * or one that is neither an IP nor a valid DNS name, and a Service with a waypoint that selects an entry known by name
 * (a waypoint sends to a Service's WorkloadEntries by their IP addresses).
 */
final class WorkloadEntryTranslator {

    private final MeshSettings settings;

    WorkloadEntryTranslator(MeshSettings settings) {
        this.settings = settings;
    }

    Optional<Address> translate(ConfigResource resource, TranslationContext context, Consumer<String> warn) {
        WorkloadEntry entry = resource.as(WorkloadEntry.class);
        var spec = entry.getSpec();
        String address = spec == null || spec.getAddress() == null ? "" : spec.getAddress();
        Optional<InetAddress> ip = IpPrefix.parseAddress(address);
        if (ip.isEmpty() && address.startsWith("unix://")) {
            warn.accept("address '" + address + "' is a Unix socket, which is not supported yet; not added to the"
                    + " mesh");
            return Optional.empty();
        }
        if (ip.isEmpty() && !OutsideWorkloads.isDnsName(address)) {
            warn.accept("address '" + address + "' is neither an IP address nor a valid DNS name (labels of letters,"
                    + " digits and '-', 1 to 63 characters each, at most 253 in all); not added to the mesh");
            return Optional.empty();
        }
        String namespace = entry.getMetadata().getNamespace();
        String name = entry.getMetadata().getName();
        Map<String, String> labels = spec.getLabels() == null ? Map.of() : spec.getLabels();
        Map<String, Long> ownPorts = spec.getPorts() == null ? Map.of() : spec.getPorts();
        String uid = settings.clusterId() + "/networking.istio.io/WorkloadEntry/" + namespace + "/" + name;
        Workload.Builder workload = ip.isPresent()
                ? OutsideWorkloads.builder(settings, uid, name, namespace, ip.get(), spec.getServiceAccount(), labels)
                : OutsideWorkloads.builder(settings, uid, name, namespace, address, spec.getServiceAccount(), labels);
        OutsideWorkloads.placed(workload, spec);
        for (Service service : context.servicesSelecting(namespace, labels)) {
            if (ip.isEmpty()) {
                context.waypoints()
                        .forService(service, message -> {})
                        .ifPresent(w -> warn.accept("an endpoint of Service " + namespace + "/"
                                + service.getMetadata().getName() + ", which uses waypoint " + w.key()
                                + ": a waypoint does not resolve the names of a Service's endpoints, so its calls"
                                + " through the waypoint do not reach this entry (give it an IP address)"));
            }
            workload.putServices(
                    namespace + "/"
                            + settings.serviceHostname(service.getMetadata().getName(), namespace),
                    ports(service, ownPorts));
        }
        context.serviceEntryPorts(namespace, labels).forEach(workload::putServices);
        return Optional.of(Address.newBuilder().setWorkload(workload).build());
    }

    /** Each service port to the entry's own port of that name, else the numeric target port, else the same number. */
    private static PortList ports(Service service, Map<String, Long> ownPorts) {
        PortList.Builder list = PortList.newBuilder();
        List<ServicePort> ports = service.getSpec().getPorts() == null
                ? List.of()
                : service.getSpec().getPorts();
        for (ServicePort port : ports) {
            if (port.getPort() == null) {
                continue;
            }
            Long own = port.getName() == null ? null : ownPorts.get(port.getName());
            int target = own != null
                    ? own.intValue()
                    : port.getTargetPort() != null && port.getTargetPort().getIntVal() != null
                            ? port.getTargetPort().getIntVal()
                            : port.getPort();
            list.addPorts(Port.newBuilder().setServicePort(port.getPort()).setTargetPort(target));
        }
        return list.build();
    }
}
