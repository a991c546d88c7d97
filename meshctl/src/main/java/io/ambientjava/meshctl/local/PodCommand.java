package io.ambientjava.meshctl.local;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import io.ambientjava.meshctl.local.ControlApi.PodInfo;
import io.ambientjava.meshctl.local.ControlApi.PodSpec;
import io.ambientjava.meshctl.output.Table;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshctl pod run|list|delete|exec}: the local mesh's pods. */
@Command(
        name = "pod",
        mixinStandardHelpOptions = true,
        description = "Runs, lists, deletes pods of the local mesh and runs commands inside them.",
        subcommands = {PodCommand.Run.class, PodCommand.ListPods.class, PodCommand.Delete.class, PodCommand.Exec.class})
public final class PodCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (run, list, delete, exec)");
    }

    static Table table(List<PodInfo> pods) {
        Table table = new Table("NAMESPACE", "NAME", "IP", "NODE", "ENROLLED", "STATUS", "APP");
        pods.forEach(p -> table.row(
                p.namespace(),
                p.name(),
                p.ip(),
                p.node(),
                p.enrolled() ? "ambient" : "no",
                p.running() ? "Running" : "Exited",
                p.app()));
        return table;
    }

    private static PodInfo find(LocalMeshClient client, String namespace, String name) {
        return client.pods().stream()
                .filter(p -> p.namespace().equals(namespace) && p.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new MeshctlException("pod " + namespace + "/" + name + " not found"));
    }

    @Command(
            name = "run",
            mixinStandardHelpOptions = true,
            description = {
                "Makes a pod (a network namespace wired by its node's CNI chain) and runs its app inside:"
                        + " the built-in demo app (answers HTTP with its app label, version and the peer it saw),"
                        + " nothing, or the command given after --.",
                "Example: meshctl pod run web -n default -l app=web,version=v1",
                "         meshctl pod run client --image-app none",
                "         meshctl pod run py -- python3 -m http.server 8080"
            })
    public static final class Run implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Parameters(index = "0", paramLabel = "NAME", description = "The pod's name.")
        String name;

        @Parameters(
                index = "1..*",
                paramLabel = "COMMAND",
                description = "A command to run in the pod's network namespace instead of the demo app (after --).")
        List<String> command = new ArrayList<>();

        @Option(
                names = {"-n", "--namespace"},
                defaultValue = "default",
                description = "Namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(
                names = "--service-account",
                defaultValue = "default",
                description = "Service account: the pod's SPIFFE identity (default: ${DEFAULT-VALUE}).")
        String serviceAccount;

        @Option(
                names = {"-l", "--labels"},
                paramLabel = "KEY=VALUE,...",
                description = "Labels (default: app=NAME); Services select pods by them.")
        String labels;

        @Option(names = "--node", description = "The node (default: the one with the fewest pods).")
        String node;

        @Option(
                names = "--image-app",
                paramLabel = "demo|none",
                description = "What runs in the pod when no COMMAND is given (default: demo).")
        String imageApp;

        @Option(
                names = "--port",
                defaultValue = "8080",
                description = "The demo app's port (default: ${DEFAULT-VALUE}).")
        int port;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PodSpec podSpec = spec();
            PodInfo pod = mesh.connect().run(podSpec);
            spec.commandLine()
                    .getOut()
                    .println("pod/" + pod.name() + " created in namespace " + pod.namespace() + " on " + pod.node()
                            + ", IP " + pod.ip() + " (" + (pod.enrolled() ? "enrolled in the mesh" : "not enrolled")
                            + ", app: " + pod.app() + ")");
            return ExitCodes.OK;
        }

        /** The request, with every argument checked (a usage error names the one that is wrong). */
        PodSpec spec() {
            try {
                PodArguments.checkName("pod", name);
                PodArguments.checkName("namespace", namespace);
                Map<String, String> podLabels = labels == null ? Map.of() : PodArguments.labels(labels);
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("--port must be 1-65535, not " + port);
                }
                String image;
                if (!command.isEmpty()) {
                    if (imageApp != null) {
                        throw new IllegalArgumentException("give either --image-app or a COMMAND after --, not both");
                    }
                    image = "command";
                } else {
                    image = imageApp == null ? ControlApi.DEMO_APP : imageApp;
                    if (!image.equals(ControlApi.DEMO_APP) && !image.equals(ControlApi.NO_APP)) {
                        throw new IllegalArgumentException("--image-app must be demo or none (or give a COMMAND after"
                                + " --), not '" + image + "'");
                    }
                }
                return new PodSpec(
                        name, namespace, serviceAccount, node == null ? "" : node, podLabels, image, command, port);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "Lists the pods.")
    public static final class ListPods implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Mixin
        ListingOptions listing;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            listing.print(spec, "pods", () -> mesh.connect().pods(), PodInfo::namespace, PodCommand::table);
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "delete",
            aliases = "rm",
            mixinStandardHelpOptions = true,
            description = "Deletes pods: stops the app, CNI DEL (the node agent unenrolls it), removes the namespace.")
    public static final class Delete implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Parameters(arity = "1..*", paramLabel = "NAME", description = "The pods to delete.")
        List<String> names;

        @Option(
                names = {"-n", "--namespace"},
                defaultValue = "default",
                description = "Namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = "--ignore-not-found", description = "A pod that does not exist is not an error.")
        boolean ignoreNotFound;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            LocalMeshClient client = mesh.connect();
            List<String> existing = client.pods().stream()
                    .filter(p -> p.namespace().equals(namespace))
                    .map(PodInfo::name)
                    .toList();
            List<String> missing = new ArrayList<>();
            for (String name : names) {
                if (!existing.contains(name)) {
                    missing.add(name);
                    continue;
                }
                client.delete(namespace, name);
                spec.commandLine().getOut().println("pod/" + name + " deleted");
            }
            if (!missing.isEmpty() && !ignoreNotFound) {
                throw new MeshctlException("pod" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing)
                        + " not found in namespace " + namespace);
            }
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "exec",
            mixinStandardHelpOptions = true,
            description = {
                "Runs a command inside a pod's network namespace (its traffic goes through the mesh when the pod is"
                        + " enrolled) and exits with its exit code.",
                "Example: meshctl pod exec client -- curl -sS http://web/"
            })
    public static final class Exec implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Parameters(index = "0", paramLabel = "NAME", description = "The pod.")
        String name;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND", description = "The command, after --.")
        List<String> command;

        @Option(
                names = {"-n", "--namespace"},
                defaultValue = "default",
                description = "Namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PodInfo pod = find(mesh.connect(), namespace, name);
            List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + pod.netns(), "--"));
            argv.addAll(command);
            Process process = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .start();
            Thread stdout = copy(process.getInputStream(), spec.commandLine().getOut());
            Thread stderr = copy(process.getErrorStream(), spec.commandLine().getErr());
            int exit = process.waitFor();
            stdout.join();
            stderr.join();
            return exit;
        }

        private static Thread copy(InputStream from, PrintWriter to) {
            return Thread.ofVirtual().start(() -> {
                try (from) {
                    byte[] buffer = new byte[8192];
                    for (int n; (n = from.read(buffer)) > 0; ) {
                        to.print(new String(buffer, 0, n, StandardCharsets.UTF_8));
                        to.flush();
                    }
                } catch (IOException e) {
                    to.println("meshctl: " + e.getMessage());
                }
            });
        }
    }
}
