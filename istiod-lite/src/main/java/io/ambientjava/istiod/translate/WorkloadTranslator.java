package io.ambientjava.istiod.translate;

import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.PortList;
import io.ambientjava.api.workload.TunnelProtocol;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.api.workload.WorkloadStatus;
import io.ambientjava.api.workload.WorkloadType;
import io.ambientjava.istiod.config.IpPrefix;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Pod as an {@code istio.workload.Workload}, with the fields istiod fills in: the UID
 * {@code <cluster>//Pod/<ns>/<name>}, its IPs, service account, node, HBONE when the pod is in the ambient mesh,
 * canonical service name and revision from its labels, the Services that select it with their port mappings, the
 * selector-based authorization policies that apply to it, and its waypoint.
 */
final class WorkloadTranslator {

    private static final Pattern CRONJOB_JOB_NAME = Pattern.compile("(.+)-\\d{8,10}");

    private final MeshSettings settings;

    WorkloadTranslator(MeshSettings settings) {
        this.settings = settings;
    }

    /** The workload, or empty for pods that are not (or no longer) running somewhere with an IP. */
    Optional<Workload> translate(Pod pod, TranslationContext context, Consumer<String> warn) {
        List<byte[]> ips = new ArrayList<>();
        for (String ip : MeshWorkloads.ips(pod)) {
            IpPrefix.parseAddress(ip).ifPresent(a -> ips.add(a.getAddress()));
        }
        if (ips.isEmpty()) {
            return Optional.empty(); // finished, on the node's network, or no IP yet: not a mesh workload
        }
        String namespace = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        Map<String, String> labels = LabelSelector.labelsOf(pod);
        var builder = Workload.newBuilder()
                .setUid(uid(namespace, name))
                .setName(name)
                .setNamespace(namespace)
                .setNetwork(settings.network())
                .setClusterId(settings.clusterId())
                .setServiceAccount(serviceAccount(pod))
                .setNode(
                        pod.getSpec() == null || pod.getSpec().getNodeName() == null
                                ? ""
                                : pod.getSpec().getNodeName())
                .setTrustDomain(settings.workloadTrustDomain())
                .setStatus(ready(pod) ? WorkloadStatus.HEALTHY : WorkloadStatus.UNHEALTHY);
        ips.forEach(ip -> builder.addAddresses(ByteString.copyFrom(ip)));
        Localities.ofPod(pod, context.snapshot()).ifPresent(builder::setLocality);
        if (AmbientEnrollment.enrolled(pod, context.snapshot().namespace(namespace))) {
            builder.setTunnelProtocol(TunnelProtocol.HBONE);
        }
        WorkloadName workloadName = workloadName(pod);
        builder.setWorkloadName(workloadName.name()).setWorkloadType(workloadName.type());
        builder.setCanonicalName(firstLabel(
                labels, workloadName.name(), "service.istio.io/canonical-name", "app.kubernetes.io/name", "app"));
        builder.setCanonicalRevision(firstLabel(
                labels, "latest", "service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"));
        for (Service service : context.servicesSelecting(namespace, labels)) {
            String key = namespace + "/"
                    + settings.serviceHostname(service.getMetadata().getName(), namespace);
            builder.putServices(key, ports(service, pod));
        }
        context.serviceEntryPorts(namespace, labels).forEach(builder::putServices);
        builder.addAllAuthorizationPolicies(context.policyKeysFor(namespace, labels));
        context.waypoints().forWorkload(pod, warn).ifPresent(w -> builder.setWaypoint(w.address()));
        return Optional.of(builder.build());
    }

    String uid(String namespace, String name) {
        return settings.clusterId() + "//Pod/" + namespace + "/" + name;
    }

    private static String serviceAccount(Pod pod) {
        var spec = pod.getSpec();
        if (spec == null) {
            return "default";
        }
        if (spec.getServiceAccountName() != null
                && !spec.getServiceAccountName().isEmpty()) {
            return spec.getServiceAccountName();
        }
        if (spec.getServiceAccount() != null && !spec.getServiceAccount().isEmpty()) {
            return spec.getServiceAccount();
        }
        return "default"; // what Kubernetes' admission sets
    }

    /**
     * Ready unless the Ready condition says otherwise or the pod is being deleted. Files in a local folder usually
     * carry no conditions; such pods count as ready.
     */
    private static boolean ready(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        var status = pod.getStatus();
        if (status == null || status.getConditions() == null) {
            return true;
        }
        for (PodCondition condition : status.getConditions()) {
            if ("Ready".equals(condition.getType())) {
                return "True".equals(condition.getStatus());
            }
        }
        return true;
    }

    private record WorkloadName(String name, WorkloadType type) {}

    /** Istio's reading of the controller chain: Deployment (via its ReplicaSet), Job, CronJob, else the pod. */
    private static WorkloadName workloadName(Pod pod) {
        List<OwnerReference> owners = pod.getMetadata().getOwnerReferences() == null
                ? List.of()
                : pod.getMetadata().getOwnerReferences();
        OwnerReference controller = owners.stream()
                .filter(o -> Boolean.TRUE.equals(o.getController()))
                .findFirst()
                .orElse(null);
        if (controller != null) {
            String owner = controller.getName();
            switch (controller.getKind()) {
                case "ReplicaSet" -> {
                    String hash = LabelSelector.labelsOf(pod).get("pod-template-hash");
                    if (hash != null && owner.endsWith("-" + hash)) {
                        return new WorkloadName(
                                owner.substring(0, owner.length() - hash.length() - 1), WorkloadType.DEPLOYMENT);
                    }
                }
                case "Job" -> {
                    Matcher cron = CRONJOB_JOB_NAME.matcher(owner);
                    return cron.matches()
                            ? new WorkloadName(cron.group(1), WorkloadType.CRONJOB)
                            : new WorkloadName(owner, WorkloadType.JOB);
                }
                default -> {
                    // StatefulSets, DaemonSets and bare pods are named by the pod
                }
            }
        }
        return new WorkloadName(pod.getMetadata().getName(), WorkloadType.POD);
    }

    private static String firstLabel(Map<String, String> labels, String fallback, String... keys) {
        for (String key : keys) {
            String value = labels.get(key);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return fallback;
    }

    /** Service port → target port for this pod; a named target port missing from the pod leaves that port out. */
    private static PortList ports(Service service, Pod pod) {
        PortList.Builder list = PortList.newBuilder();
        for (ServicePort port : service.getSpec().getPorts() == null
                ? List.<ServicePort>of()
                : service.getSpec().getPorts()) {
            if (port.getPort() == null) {
                continue;
            }
            int target;
            if (port.getTargetPort() == null) {
                target = port.getPort();
            } else if (port.getTargetPort().getIntVal() != null) {
                target = port.getTargetPort().getIntVal();
            } else {
                Optional<Integer> named =
                        containerPort(pod, port.getTargetPort().getStrVal());
                if (named.isEmpty()) {
                    continue;
                }
                target = named.get();
            }
            list.addPorts(Port.newBuilder().setServicePort(port.getPort()).setTargetPort(target));
        }
        return list.build();
    }

    private static Optional<Integer> containerPort(Pod pod, String name) {
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null || name == null) {
            return Optional.empty();
        }
        for (Container container : pod.getSpec().getContainers()) {
            for (ContainerPort port : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
                if (name.equals(port.getName()) && port.getContainerPort() != null) {
                    return Optional.of(port.getContainerPort());
                }
            }
        }
        return Optional.empty();
    }
}
