package io.ambientjava.meshctl.local;

import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshctl delete -f FILE|DIR}: removes the resources the files name from the local mesh. */
@Command(
        name = "delete",
        mixinStandardHelpOptions = true,
        description = {
            "Removes the resources named in the files (kind, namespace, name) from the local mesh.",
            "Deleting a Namespace removes what was applied in it; it must have no pods left."
        })
public final class DeleteCommand implements Callable<Integer> {
    private static final Set<String> PROTECTED_NAMESPACES = Set.of("default", "istio-system");

    @Mixin
    LocalMeshOption mesh;

    @Option(
            names = {"-f", "--filename"},
            paramLabel = "FILE|DIR",
            required = true,
            description = "A YAML file, a folder read recursively, or - for standard input. Repeatable.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--ignore-not-found", description = "A resource that does not exist is not an error.")
    boolean ignoreNotFound;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<ResourceKey> keys = ManifestSet.keys(files, ApplyCommand.stdinOnce());
        if (keys.isEmpty()) {
            throw new MeshctlException("no resources found in " + files);
        }
        for (ResourceKey key : keys) {
            if (key.kind() == ResourceKind.NAMESPACE && PROTECTED_NAMESPACES.contains(key.name())) {
                throw new MeshctlException("nothing deleted: namespace " + key.name() + " may not be deleted");
            }
            if (key.kind() == ResourceKind.POD) {
                throw new MeshctlException("nothing deleted: delete pods with `meshctl pod delete " + key.name()
                        + " -n " + key.namespace() + "`");
            }
        }
        LocalMeshClient client = mesh.connect();
        for (ResourceKey key : keys) {
            if (key.kind() == ResourceKind.NAMESPACE) {
                List<String> pods = client.pods().stream()
                        .filter(p -> p.namespace().equals(key.name()))
                        .map(ControlApi.PodInfo::name)
                        .toList();
                if (!pods.isEmpty()) {
                    throw new MeshctlException("nothing deleted: namespace " + key.name() + " still has pods ("
                            + String.join(", ", pods) + "); `meshctl pod delete` them first");
                }
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> done = client.store().locked(s -> {
            List<String> lines = new ArrayList<>();
            // Namespaces last, after what lives in them.
            for (boolean namespaces : new boolean[] {false, true}) {
                for (ResourceKey key : keys) {
                    if ((key.kind() == ResourceKind.NAMESPACE) != namespaces) {
                        continue;
                    }
                    if (namespaces) {
                        s.removeNamespaced(key.name());
                    }
                    if (s.remove(key)) {
                        lines.add(ManifestSet.displayName(key) + " deleted");
                    } else {
                        missing.add(key.toString());
                    }
                }
            }
            return lines;
        });
        done.forEach(spec.commandLine().getOut()::println);
        if (!missing.isEmpty() && !ignoreNotFound) {
            throw new MeshctlException("not found: " + String.join(", ", missing));
        }
        return ExitCodes.OK;
    }
}
