package io.ambientjava.cni.agent.podstate;

import java.util.Map;
import java.util.Optional;

/**
 * What the node agent knows of Kubernetes objects: namespaces with their labels, and pods with their labels and
 * service account. Immutable; a new snapshot replaces the old.
 */
public record PodState(Map<String, Map<String, String>> namespaceLabels, Map<PodKey, PodMeta> pods) {
    public static final PodState EMPTY = new PodState(Map.of(), Map.of());

    public PodState {
        namespaceLabels = Map.copyOf(namespaceLabels);
        pods = Map.copyOf(pods);
    }

    /** A pod by namespace and name. */
    public record PodKey(String namespace, String name) {
        @Override
        public String toString() {
            return namespace + "/" + name;
        }
    }

    /** A pod's metadata: uid (may be empty), labels, service account ("" when the document names none). */
    public record PodMeta(String uid, Map<String, String> labels, String serviceAccount) {
        public PodMeta {
            labels = Map.copyOf(labels);
        }
    }

    /** The namespace's labels, empty when the namespace is not known. */
    public Map<String, String> labelsOf(String namespace) {
        return namespaceLabels.getOrDefault(namespace, Map.of());
    }

    public Optional<PodMeta> pod(String namespace, String name) {
        return Optional.ofNullable(pods.get(new PodKey(namespace, name)));
    }
}
