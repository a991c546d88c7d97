package io.ambientjava.meshctl.install;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.util.ArrayList;
import java.util.List;

/** Applies rendered manifests through the Kubernetes API (fabric8), in apply order; uninstalls in reverse. */
public final class ClusterInstaller {

    private final KubernetesClient client;

    public ClusterInstaller(KubernetesClient client) {
        this.client = client;
    }

    /** Creates each object, or updates it when it exists; returns one line per object. */
    public List<String> apply(List<ObjectNode> objects) {
        List<String> lines = new ArrayList<>();
        for (HasMetadata object : typed(objects)) {
            boolean existed = client.resource(object).get() != null;
            client.resource(object).createOr(NonDeletingOperation::update);
            lines.add(describe(object) + (existed ? " configured" : " created"));
        }
        return lines;
    }

    /** Deletes each object in reverse apply order; CRDs (and the namespace) only when {@code purge}. */
    public List<String> uninstall(List<ObjectNode> objects, boolean purge) {
        List<HasMetadata> typed = new ArrayList<>(typed(objects));
        java.util.Collections.reverse(typed);
        List<String> lines = new ArrayList<>();
        for (HasMetadata object : typed) {
            boolean keep = object.getKind().equals("CustomResourceDefinition")
                    || object.getKind().equals("Namespace");
            if (keep && !purge) {
                lines.add(describe(object) + " kept");
                continue;
            }
            boolean deleted = !client.resource(object).delete().isEmpty();
            lines.add(describe(object) + (deleted ? " deleted" : " not found"));
        }
        return lines;
    }

    private List<HasMetadata> typed(List<ObjectNode> objects) {
        List<HasMetadata> typed = new ArrayList<>();
        for (ObjectNode object : objects) {
            typed.add(client.getKubernetesSerialization().convertValue(object, HasMetadata.class));
        }
        return typed;
    }

    static String describe(HasMetadata object) {
        String group = object.getApiVersion().contains("/")
                ? "."
                        + object.getApiVersion()
                                .substring(0, object.getApiVersion().indexOf('/'))
                : "";
        return object.getKind().toLowerCase(java.util.Locale.ROOT) + group + "/"
                + object.getMetadata().getName();
    }
}
