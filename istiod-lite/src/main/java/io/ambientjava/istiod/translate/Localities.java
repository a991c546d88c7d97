package io.ambientjava.istiod.translate;

import io.ambientjava.api.workload.Locality;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import java.util.Optional;

/**
 * Where a workload runs, as Istio reads it: a pod's {@code topology.istio.io/locality} label (or the older
 * {@code istio-locality}), written {@code region.zone.subzone} because labels cannot hold {@code /}; else its node's
 * {@code topology.kubernetes.io/region} and {@code topology.kubernetes.io/zone} (or their deprecated
 * {@code failure-domain.beta.kubernetes.io/} forms) and {@code topology.istio.io/subzone}. A WorkloadEntry says
 * {@code region/zone/subzone} in its {@code locality} field.
 */
final class Localities {

    static final String LOCALITY_LABEL = "topology.istio.io/locality";
    static final String OLD_LOCALITY_LABEL = "istio-locality";

    private Localities() {}

    /** Empty when nothing says where the pod runs. */
    static Optional<Locality> ofPod(Pod pod, ConfigSnapshot snapshot) {
        Map<String, String> labels = pod.getMetadata().getLabels() == null
                ? Map.of()
                : pod.getMetadata().getLabels();
        String written = labels.getOrDefault(LOCALITY_LABEL, labels.get(OLD_LOCALITY_LABEL));
        if (written != null && !written.isBlank()) {
            return parse(written.replace('.', '/'));
        }
        String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        if (nodeName == null || nodeName.isEmpty()) {
            return Optional.empty();
        }
        return snapshot.get(ResourceKind.NODE, "", nodeName, Node.class).flatMap(Localities::ofNode);
    }

    static Optional<Locality> ofNode(Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null
                ? Map.of()
                : node.getMetadata().getLabels();
        String region = labels.getOrDefault(
                "topology.kubernetes.io/region", labels.getOrDefault("failure-domain.beta.kubernetes.io/region", ""));
        String zone = labels.getOrDefault(
                "topology.kubernetes.io/zone", labels.getOrDefault("failure-domain.beta.kubernetes.io/zone", ""));
        String subzone = labels.getOrDefault("topology.istio.io/subzone", "");
        if (region.isEmpty() && zone.isEmpty() && subzone.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Locality.newBuilder()
                .setRegion(region)
                .setZone(zone)
                .setSubzone(subzone)
                .build());
    }

    /** {@code region/zone/subzone}, any trailing parts left out; empty for a blank text. */
    static Optional<Locality> parse(String written) {
        if (written == null || written.isBlank()) {
            return Optional.empty();
        }
        String[] parts = written.strip().split("/", 3);
        return Optional.of(Locality.newBuilder()
                .setRegion(parts[0])
                .setZone(parts.length > 1 ? parts[1] : "")
                .setSubzone(parts.length > 2 ? parts[2] : "")
                .build());
    }
}
