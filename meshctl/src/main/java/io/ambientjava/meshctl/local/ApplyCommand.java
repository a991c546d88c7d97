package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshctl apply -f FILE|DIR}: istiod-lite's validation first (any error: every problem on its own line, exit
 * 1, nothing applied), then each resource into the local mesh's config folder, which istiod-lite and the node
 * agents watch.
 */
@Command(
        name = "apply",
        mixinStandardHelpOptions = true,
        description = {
            "Validates Kubernetes and Istio YAML as istiod-lite does and stores it in the local mesh (created,"
                    + " configured or unchanged, as kubectl says); nothing is applied when any document has an error.",
            "A Service without clusterIP gets one from 198.19.0.0/16. Pods are made with `meshctl pod run`."
        })
public final class ApplyCommand implements Callable<Integer> {
    @Mixin
    LocalMeshOption mesh;

    @Option(
            names = {"-f", "--filename"},
            paramLabel = "FILE|DIR",
            required = true,
            description = "A YAML file, a folder read recursively, or - for standard input. Repeatable.")
    List<Path> files = new ArrayList<>();

    @Spec
    CommandSpec spec;

    /** Standard input read once, however many times {@code -} is named. */
    static Supplier<InputStream> stdinOnce() {
        byte[][] bytes = new byte[1][];
        return () -> {
            if (bytes[0] == null) {
                try {
                    bytes[0] = System.in.readAllBytes();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return new ByteArrayInputStream(bytes[0]);
        };
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ManifestSet manifests = ManifestSet.read(files, stdinOnce());
        List<String> refusals = new ArrayList<>();
        for (ConfigProblem problem : manifests.problems()) {
            (problem.isError() ? refusals : new ArrayList<String>()).add(problem.message());
            if (!problem.isError()) {
                err.println("warning: " + problem.message());
            }
        }
        for (ResourceKey key : manifests.resources().keySet()) {
            if (key.kind() == ResourceKind.POD) {
                refusals.add(
                        "Pod " + key.namespacedName() + ": pods of the local mesh are made with `meshctl pod run`");
            }
        }
        manifests.skipped().forEach(s -> err.println("warning: " + s));
        if (!refusals.isEmpty()) {
            refusals.forEach(err::println);
            throw new MeshctlException(
                    "nothing applied: " + refusals.size() + " error" + (refusals.size() == 1 ? "" : "s"));
        }
        if (manifests.resources().isEmpty()) {
            throw new MeshctlException("no resources found in " + files);
        }
        LocalMeshClient client = mesh.connect();
        MeshConfigStore store = client.store();
        List<String> done = store.locked(s -> {
            Set<String> missing = new TreeSet<>();
            for (ResourceKey key : manifests.resources().keySet()) {
                if (key.kind().namespaced()
                        && !s.exists(namespaceKey(key.namespace()))
                        && !manifests.resources().containsKey(namespaceKey(key.namespace()))) {
                    missing.add(key.namespace());
                }
            }
            if (!missing.isEmpty()) {
                throw new MeshctlException("nothing applied: namespace" + (missing.size() == 1 ? " " : "s ")
                        + String.join(", ", missing) + " not found (apply a Namespace first, or with the rest)");
            }
            List<String> lines = new ArrayList<>();
            // Namespaces first, as kubectl does, so that what lives in them never points at a missing one.
            for (boolean namespaces : new boolean[] {true, false}) {
                for (Map.Entry<ResourceKey, ObjectNode> entry :
                        manifests.resources().entrySet()) {
                    if ((entry.getKey().kind() == ResourceKind.NAMESPACE) == namespaces) {
                        lines.add(ManifestSet.displayName(entry.getKey()) + " "
                                + s.put(entry.getKey(), entry.getValue()).word());
                    }
                }
            }
            return lines;
        });
        done.forEach(out::println);
        return ExitCodes.OK;
    }

    static ResourceKey namespaceKey(String namespace) {
        return new ResourceKey(ResourceKind.NAMESPACE, "", namespace);
    }
}
