package io.ambientjava.istiod.config.yaml;

import io.ambientjava.istiod.config.IpPrefix;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks for the Kubernetes core kinds istiod-lite reads: Pods and Services. */
final class CoreResourceRules {

    private static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "SCTP");

    private CoreResourceRules() {}

    static void checkPod(Pod pod, List<FieldIssue> issues) {
        var spec = pod.getSpec();
        if (spec != null) {
            if (spec.getServiceAccountName() != null
                    && !spec.getServiceAccountName().isEmpty()) {
                MetadataRules.checkDnsSubdomain(spec.getServiceAccountName(), "spec.serviceAccountName", issues);
            }
            if (spec.getNodeName() != null && !spec.getNodeName().isEmpty()) {
                MetadataRules.checkDnsSubdomain(spec.getNodeName(), "spec.nodeName", issues);
            }
            List<Container> containers = spec.getContainers() == null ? List.of() : spec.getContainers();
            for (int c = 0; c < containers.size(); c++) {
                List<ContainerPort> ports = containers.get(c).getPorts();
                for (int p = 0; ports != null && p < ports.size(); p++) {
                    String path = "spec.containers[" + c + "].ports[" + p + "]";
                    ContainerPort port = ports.get(p);
                    PortRules.checkNumber(port.getContainerPort(), path + ".containerPort", true, issues);
                    if (port.getName() != null) {
                        PortRules.checkName(port.getName(), path + ".name", issues);
                    }
                    checkProtocol(port.getProtocol(), path + ".protocol", issues);
                }
            }
        }
        var status = pod.getStatus();
        if (status != null) {
            checkIp(status.getPodIP(), "status.podIP", issues);
            List<PodIP> podIps = status.getPodIPs() == null ? List.of() : status.getPodIPs();
            for (int i = 0; i < podIps.size(); i++) {
                checkIp(podIps.get(i).getIp(), "status.podIPs[" + i + "].ip", issues);
            }
        }
    }

    static void checkService(Service service, List<FieldIssue> issues) {
        ServiceSpec spec = service.getSpec();
        if (spec == null) {
            return;
        }
        String clusterIp = spec.getClusterIP();
        if (clusterIp != null && !clusterIp.isEmpty() && !clusterIp.equals("None")) {
            checkIp(clusterIp, "spec.clusterIP", issues);
        }
        List<String> clusterIps = spec.getClusterIPs() == null ? List.of() : spec.getClusterIPs();
        for (int i = 0; i < clusterIps.size(); i++) {
            if (!clusterIps.get(i).equals("None")) {
                checkIp(clusterIps.get(i), "spec.clusterIPs[" + i + "]", issues);
            }
        }
        if (clusterIp != null
                && !clusterIp.isEmpty()
                && !clusterIps.isEmpty()
                && !clusterIps.getFirst().equals(clusterIp)) {
            issues.add(FieldIssue.error("spec.clusterIPs[0]", "must equal spec.clusterIP (" + clusterIp + ")"));
        }
        MetadataRules.checkLabelMap(spec.getSelector(), "spec.selector", issues);
        List<ServicePort> ports = spec.getPorts() == null ? List.of() : spec.getPorts();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            ServicePort port = ports.get(i);
            String path = "spec.ports[" + i + "]";
            PortRules.checkNumber(port.getPort(), path + ".port", true, issues);
            checkTargetPort(port.getTargetPort(), path + ".targetPort", issues);
            checkProtocol(port.getProtocol(), path + ".protocol", issues);
            if (port.getName() != null && !port.getName().isEmpty()) {
                MetadataRules.checkDnsLabel(port.getName(), path + ".name", issues);
                if (!names.add(port.getName())) {
                    issues.add(FieldIssue.error(path + ".name", "duplicate port name '" + port.getName() + "'"));
                }
            } else if (ports.size() > 1) {
                issues.add(FieldIssue.error(path + ".name", "required when a Service has more than one port"));
            }
        }
    }

    private static void checkTargetPort(IntOrString target, String path, List<FieldIssue> issues) {
        if (target == null) {
            return;
        }
        if (target.getIntVal() != null) {
            PortRules.checkNumber(target.getIntVal(), path, false, issues);
        } else if (target.getStrVal() != null) {
            PortRules.checkName(target.getStrVal(), path, issues);
        }
    }

    private static void checkProtocol(String protocol, String path, List<FieldIssue> issues) {
        if (protocol != null && !PROTOCOLS.contains(protocol)) {
            issues.add(FieldIssue.error(path, "unknown protocol '" + protocol + "' (expected TCP, UDP or SCTP)"));
        }
    }

    private static void checkIp(String ip, String path, List<FieldIssue> issues) {
        if (ip == null || ip.isEmpty()) {
            return;
        }
        if (IpPrefix.parseAddress(ip).isEmpty()) {
            issues.add(FieldIssue.error(path, "'" + ip + "' is not an IP address"));
        }
    }
}
