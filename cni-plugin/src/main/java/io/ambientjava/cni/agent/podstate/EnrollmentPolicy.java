package io.ambientjava.cni.agent.podstate;

import java.util.Map;
import java.util.Optional;

/**
 * Whether a pod belongs in the mesh, by Istio's labels: {@code istio.io/dataplane-mode=none} on the pod keeps it
 * out whatever its namespace says; otherwise {@code istio.io/dataplane-mode=ambient} on the pod or on its
 * namespace puts it in. A pod the state does not (yet) list is judged by its namespace alone.
 */
public final class EnrollmentPolicy {
    public static final String DATAPLANE_MODE = "istio.io/dataplane-mode";
    public static final String AMBIENT = "ambient";
    public static final String NONE = "none";

    private EnrollmentPolicy() {}

    /** The verdict and why, for logs. */
    public record Decision(boolean enrolled, String reason) {}

    public static Decision decide(PodState state, String namespace, String name) {
        Optional<PodState.PodMeta> pod = state.pod(namespace, name);
        Map<String, String> podLabels = pod.map(PodState.PodMeta::labels).orElse(Map.of());
        String podMode = podLabels.get(DATAPLANE_MODE);
        if (NONE.equals(podMode)) {
            return new Decision(false, "pod label " + DATAPLANE_MODE + "=" + NONE);
        }
        if (AMBIENT.equals(podMode)) {
            return new Decision(true, "pod label " + DATAPLANE_MODE + "=" + AMBIENT);
        }
        String namespaceMode = state.labelsOf(namespace).get(DATAPLANE_MODE);
        if (AMBIENT.equals(namespaceMode)) {
            return new Decision(true, "namespace " + namespace + " has " + DATAPLANE_MODE + "=" + AMBIENT);
        }
        return new Decision(
                false,
                "namespace " + namespace
                        + (namespaceMode == null
                                ? " has no " + DATAPLANE_MODE + " label"
                                : " has " + DATAPLANE_MODE + "=" + namespaceMode));
    }
}
