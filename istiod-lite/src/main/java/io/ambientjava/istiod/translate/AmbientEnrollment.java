package io.ambientjava.istiod.translate;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a pod is in the ambient mesh (its traffic captured by ztunnel, reached over HBONE).
 *
 * <p>In a cluster the CNI node agent decides and records it on the pod as the annotation
 * {@code ambient.istio.io/redirection: enabled}; istiod only reads that. The local mesh has no such writer, so
 * istiod-lite also applies the agent's rule itself: the namespace (or the pod) is labelled
 * {@code istio.io/dataplane-mode=ambient}, the pod is not opted out with {@code istio.io/dataplane-mode=none}, and
 * it is not a sidecar-injected pod.
 */
public final class AmbientEnrollment {

    static final String DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";
    static final String REDIRECTION_ANNOTATION = "ambient.istio.io/redirection";
    private static final String SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status";

    private AmbientEnrollment() {}

    public static boolean enrolled(Pod pod, Optional<Namespace> namespace) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null
                ? Map.of()
                : pod.getMetadata().getAnnotations();
        if ("enabled".equals(annotations.get(REDIRECTION_ANNOTATION))) {
            return true;
        }
        if (annotations.containsKey(SIDECAR_STATUS_ANNOTATION)) {
            return false;
        }
        String podMode = LabelSelector.labelsOf(pod).get(DATAPLANE_MODE_LABEL);
        if (podMode != null) {
            return podMode.equals("ambient");
        }
        return namespace
                .map(ns -> "ambient".equals(LabelSelector.labelsOf(ns).get(DATAPLANE_MODE_LABEL)))
                .orElse(false);
    }
}
