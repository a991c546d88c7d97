package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code meshctl label namespace NS KEY=VALUE... KEY-...} and {@code meshctl label pod NAME -n NS ...}: labels a
 * namespace or a pod of the local mesh, as kubectl does. {@code istio.io/dataplane-mode=ambient} on a namespace
 * enrolls its pods (the node agents and istiod-lite read the label from the config folder), removing it
 * ({@code istio.io/dataplane-mode-}) takes them out again; {@code istio.io/use-waypoint} on a pod gives the traffic
 * addressed to it a waypoint of its own.
 */
@Command(
        name = "label",
        mixinStandardHelpOptions = true,
        description = {
            "Sets (KEY=VALUE) or removes (KEY-) labels of a local mesh namespace or pod.",
            "Example: meshctl label namespace default istio.io/dataplane-mode=ambient   (enrolls its pods)",
            "         meshctl label namespace default istio.io/dataplane-mode-          (takes them out)",
            "         meshctl label pod web -n default istio.io/use-waypoint=web-wp      (a waypoint for its address)"
        })
public final class LabelCommand implements Callable<Integer> {
    private static final Set<String> NAMESPACE_TYPES = Set.of("namespace", "namespaces", "ns");
    private static final Set<String> POD_TYPES = Set.of("pod", "pods", "po");

    @Mixin
    LocalMeshOption mesh;

    @Parameters(index = "0", paramLabel = "TYPE", description = "namespace (ns) or pod (po).")
    String type;

    @Parameters(index = "1", paramLabel = "NAME", description = "The namespace or pod.")
    String name;

    @Parameters(index = "2..*", arity = "1..*", paramLabel = "KEY=VALUE|KEY-", description = "The label changes.")
    List<String> changes;

    @Option(
            names = {"-n", "--namespace"},
            defaultValue = "default",
            description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String podNamespace;

    @Option(names = "--overwrite", description = "Allow replacing a label's existing value.")
    boolean overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<PodArguments.LabelChange> parsed = parse();
        boolean pod = POD_TYPES.contains(type);
        ResourceKey key = pod ? new ResourceKey(ResourceKind.POD, podNamespace, name) : ApplyCommand.namespaceKey(name);
        String outcome = label(mesh.connect(), key, parsed, overwrite);
        spec.commandLine().getOut().println((pod ? "pod/" : "namespace/") + name + " " + outcome);
        return ExitCodes.OK;
    }

    /**
     * Applies {@code changes} to the labels of a namespace or pod (a {@link MeshConfigStore} document, under its lock)
     * as kubectl does; returns kubectl's word for it, {@code labeled} or {@code not labeled} (nothing changed). Without
     * {@code overwrite} a label that has another value is refused.
     */
    static String label(
            LocalMeshClient client, ResourceKey key, List<PodArguments.LabelChange> changes, boolean overwrite)
            throws IOException {
        String what = key.kind() == ResourceKind.POD
                ? "pod " + key.name() + " in namespace " + key.namespace()
                : "namespace " + key.name();
        return client.store().locked(store -> {
            ObjectNode document = store.get(key)
                    .orElseThrow(() -> new MeshctlException(
                            what + " not found in local mesh '" + client.state().name() + "'"));
            ObjectNode labels = document.with("metadata").with("labels");
            for (PodArguments.LabelChange change : changes) {
                if (change.removes()) {
                    labels.remove(change.key());
                    continue;
                }
                String current = labels.path(change.key()).asText(null);
                if (current != null && !current.equals(change.value().orElseThrow()) && !overwrite) {
                    throw new MeshctlException(
                            "'" + change.key() + "' already has a value (" + current + "), and --overwrite is false");
                }
                labels.put(change.key(), change.value().orElseThrow());
            }
            if (labels.isEmpty()) {
                document.with("metadata").remove("labels");
            }
            return store.put(key, document) == MeshConfigStore.Outcome.UNCHANGED ? "not labeled" : "labeled";
        });
    }

    List<PodArguments.LabelChange> parse() {
        boolean pod = POD_TYPES.contains(type);
        if (!NAMESPACE_TYPES.contains(type) && !pod) {
            throw new ParameterException(
                    spec.commandLine(),
                    "only namespaces and pods can be labelled in the local mesh, not '" + type + "'");
        }
        try {
            PodArguments.checkName(pod ? "pod" : "namespace", name);
            if (pod) {
                PodArguments.checkName("namespace", podNamespace);
            }
            List<PodArguments.LabelChange> parsed = new ArrayList<>();
            for (String change : changes) {
                parsed.add(PodArguments.labelChange(change));
            }
            return parsed;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
