package io.ambientjava.meshctl.local;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import io.ambientjava.meshctl.local.ControlApi.MeshStatus;
import io.ambientjava.meshctl.output.OutputFormat;
import io.ambientjava.meshctl.output.Table;
import io.ambientjava.meshctl.output.YamlOutput;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshctl local up|down|status|waypoint}: a local mesh that outlives the command. {@code up} starts a
 * supervisor in the background that owns the mesh; {@code down} stops it and removes everything the mesh made, also
 * after a crash; {@code status} shows nodes, pods, waypoints, services and the components' health; {@code waypoint
 * apply|list|delete} ({@link LocalWaypointCommand}) starts, shows and stops its waypoints.
 */
@Command(
        name = "local",
        mixinStandardHelpOptions = true,
        description = "Runs a local mesh in the background (root): istiod-lite, two simulated nodes, pods, waypoints.",
        subcommands = {
            LocalCommand.Up.class,
            LocalCommand.Down.class,
            LocalCommand.Status.class,
            LocalWaypointCommand.class
        })
public final class LocalCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(), "a subcommand is required (up, down, status, waypoint)");
    }

    static void requireRoot(String command) {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new MeshctlException("meshctl " + command
                    + " needs root (it creates network namespaces and nftables rules); run it with sudo");
        }
    }

    private static final Duration START_TIMEOUT = Duration.ofSeconds(150);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    @Command(name = "up", mixinStandardHelpOptions = true, description = "Starts the local mesh (no pods yet).")
    public static final class Up implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Option(
                names = "--repo",
                description = "Repository root holding the built jars (default: the working directory or"
                        + " meshctl.jar's).")
        Path repo;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            LocalMeshState state = mesh.state();
            requireRoot("local up");
            for (String tool : List.of("ip", "nft", "nsenter", "setsid")) {
                if (Stream.of(System.getenv()
                                .getOrDefault("PATH", "/usr/sbin:/usr/bin")
                                .split(":"))
                        .noneMatch(d -> Files.isExecutable(Path.of(d, tool)))) {
                    throw new MeshctlException("meshctl local up needs '" + tool + "' on the PATH");
                }
            }
            if (state.exists()) {
                if (state.supervisorAlive()) {
                    throw new MeshctlException("local mesh '" + state.name() + "' is already running (supervisor pid "
                            + state.pid().orElseThrow() + "); `meshctl local status" + state.flag()
                            + "` shows it, `meshctl local down" + state.flag() + "` stops it");
                }
                out.println("removing what a crashed local mesh '" + state.name() + "' left behind ...");
                for (String left : removeAll(state)) {
                    out.println("  still there: " + left);
                }
            }
            for (String stale : StaleMeshes.sweep()) {
                out.println("removed " + stale + ", left behind by a mesh whose owner was killed");
            }
            Path root = (repo != null ? repo : DemoJars.defaultRoot()).toAbsolutePath();
            DemoJars.locate(root);
            state.create();
            List<String> argv = new ArrayList<>(List.of(
                    "setsid",
                    DemoJars.java(),
                    "-Xmx96m",
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-cp",
                    supervisorClassPath(),
                    MeshSupervisor.class.getName(),
                    "--state-dir",
                    state.dir().toString(),
                    "--name",
                    state.name(),
                    "--repo",
                    root.toString()));
            Process supervisor = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(state.log().toFile()))
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            out.println("local mesh '" + state.name() + "' starting (supervisor pid " + supervisor.pid() + ", log "
                    + state.log() + ")");
            out.flush();
            // Ctrl-C while it comes up: the half-made mesh goes too (the supervisor tears down on SIGTERM).
            Thread abandon = Thread.ofPlatform().unstarted(() -> {
                if (state.control().isEmpty()) {
                    try {
                        stop(supervisor.toHandle());
                        removeAll(state);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            Runtime.getRuntime().addShutdownHook(abandon);
            try {
                awaitControl(state, supervisor, out);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(abandon);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running.
                }
            }
            LocalMeshState.Control control = state.control().orElseThrow();
            out.println();
            out.println("local mesh '" + state.name() + "' is up: istiod-lite, nodes "
                    + String.join(", ", MeshSupervisor.NODES) + " with node agent and ztunnel each; config folder "
                    + control.configDir());
            String flag = state.flag();
            out.println("next: meshctl label namespace default istio.io/dataplane-mode=ambient" + flag);
            out.println("      meshctl pod run web --namespace default" + flag);
            out.println("      meshctl apply -f service.yaml" + flag + "; meshctl local status" + flag
                    + "; meshctl local down" + flag);
            return ExitCodes.OK;
        }

        /** Echoes the supervisor's log until it publishes its control endpoint; fails when it dies or is too slow. */
        private static void awaitControl(LocalMeshState state, Process supervisor, PrintWriter out) throws Exception {
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            long shown = 0;
            while (state.control().isEmpty()) {
                shown = echo(state.log(), shown, out);
                if (!supervisor.isAlive() || System.nanoTime() > deadline) {
                    String why = supervisor.isAlive() ? "it was not up within " + START_TIMEOUT.toSeconds() + " s" : "";
                    if (supervisor.isAlive()) {
                        stop(supervisor.toHandle());
                    }
                    echo(state.log(), shown, out);
                    String last = lastProblem(state.log());
                    removeAll(state);
                    throw new MeshctlException("local mesh '" + state.name() + "' did not start: "
                            + (why.isEmpty() ? last : why + " (" + last + ")"));
                }
                Thread.sleep(200);
            }
            echo(state.log(), shown, out);
        }
    }

    @Command(
            name = "down",
            mixinStandardHelpOptions = true,
            description = "Stops the local mesh and removes everything it made (also after a crash).")
    public static final class Down implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            LocalMeshState state = mesh.state();
            requireRoot("local down");
            List<String> removedStale = StaleMeshes.sweep();
            if (!state.exists()) {
                removedStale.forEach(
                        s -> out.println("removed " + s + ", left behind by a mesh whose owner was killed"));
                out.println("no local mesh '" + state.name() + "' is running; nothing to tear down");
                return ExitCodes.OK;
            }
            Optional<LocalMeshState.Control> control = state.control();
            if (state.supervisorAlive() && control.isPresent()) {
                out.println("stopping local mesh '" + state.name() + "' (supervisor pid "
                        + control.get().pid() + ") ...");
                out.flush();
                try {
                    LocalMeshClient.connect(state).shutdown();
                } catch (MeshctlException unreachable) {
                    out.println("its control endpoint did not answer (" + unreachable.getMessage()
                            + "); stopping it with SIGTERM");
                }
            } else {
                out.println("local mesh '" + state.name() + "' is not running; removing what it left behind ...");
            }
            List<String> left = removeAll(state);
            if (!left.isEmpty()) {
                throw new MeshctlException(
                        "local mesh '" + state.name() + "' is down but left: " + String.join(", ", left));
            }
            out.println("local mesh '" + state.name()
                    + "' is down: no processes, network namespaces, files or state folder left");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Shows the local mesh's components and their health, nodes, pods, waypoints and services.")
    public static final class Status implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Option(
                names = {"-o", "--output"},
                defaultValue = "table",
                description = "table or json (default: ${DEFAULT-VALUE}).")
        OutputFormat format;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            MeshStatus status = mesh.connect().status();
            if (format == OutputFormat.JSON) {
                out.println(YamlOutput.valueJson(status));
                return ExitCodes.OK;
            }
            if (format == OutputFormat.YAML) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "-o yaml is not supported here; use table or json");
            }
            boolean healthy = status.components().stream().allMatch(LocalMesh.ComponentHealth::healthy);
            out.println("local mesh '" + mesh.state().name() + "' (" + status.name() + "), supervisor pid "
                    + status.pid() + ", up since " + status.startedAt() + ": " + (healthy ? "healthy" : "UNHEALTHY"));
            out.println("config folder: " + status.configDir());
            out.println();
            Table components = new Table("COMPONENT", "NODE", "HEALTH", "ADDRESS");
            status.components()
                    .forEach(c -> components.row(
                            c.component(), c.node(), c.healthy() ? "healthy" : "unhealthy", c.address()));
            out.print(components.render());
            out.println();
            Table nodes = new Table("NODE", "POD SUBNET", "PODS");
            status.nodes()
                    .forEach(n -> nodes.row(
                            n.name(),
                            n.podSubnet(),
                            status.pods().stream()
                                    .filter(p -> p.node().equals(n.name()))
                                    .count()));
            out.print(nodes.render());
            out.println();
            if (status.pods().isEmpty()) {
                out.println("No pods (meshctl pod run NAME).");
            } else {
                out.print(PodCommand.table(status.pods()).render());
            }
            out.println();
            if (status.waypoints().isEmpty()) {
                out.println("No waypoints (meshctl local waypoint apply NAME).");
            } else {
                out.print(LocalWaypointCommand.ListWaypoints.table(status.waypoints())
                        .render());
            }
            out.println();
            if (status.services().isEmpty()) {
                out.println("No services (meshctl apply -f FILE).");
            } else {
                Table services = new Table("NAMESPACE", "SERVICE", "CLUSTER-IP", "PORTS");
                status.services().forEach(s -> services.row(s.namespace(), s.name(), s.clusterIp(), s.ports()));
                out.print(services.render());
            }
            out.flush();
            if (!healthy) {
                throw new MeshctlException("local mesh '" + mesh.state().name() + "' is unhealthy: "
                        + String.join(
                                ", ",
                                status.components().stream()
                                        .filter(c -> !c.healthy())
                                        .map(c -> c.component() + (c.node().isEmpty() ? "" : " on " + c.node()))
                                        .toList())
                        + " (logs in " + Path.of(status.configDir()).resolveSibling("logs") + ")");
            }
            return ExitCodes.OK;
        }
    }

    /** meshctl's jar, or (run from a build tree) the class path it runs with. */
    private static String supervisorClassPath() {
        Path own = DemoJars.ownClasses();
        return Files.isRegularFile(own) ? own.toString() : System.getProperty("java.class.path");
    }

    /** Prints the log from {@code offset}; returns the new offset. */
    private static long echo(Path log, long offset, PrintWriter out) throws IOException {
        if (!Files.exists(log)) {
            return offset;
        }
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            if (file.length() <= offset) {
                return offset;
            }
            byte[] bytes = new byte[(int) (file.length() - offset)];
            file.seek(offset);
            file.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n') + 1;
            text.substring(0, end).lines().forEach(l -> out.println("  " + l));
            out.flush();
            return offset + text.substring(0, end).getBytes(StandardCharsets.UTF_8).length;
        }
    }

    private static String lastProblem(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.stream()
                    .filter(l -> l.contains("failed:") || l.contains("cannot start"))
                    .reduce((a, b) -> b)
                    .or(() -> lines.isEmpty() ? Optional.empty() : Optional.of(lines.getLast()))
                    .map(String::strip)
                    .orElse("the supervisor exited without a word");
        } catch (IOException e) {
            return "no log";
        }
    }

    private static void stop(ProcessHandle process) throws InterruptedException {
        process.destroy();
        try {
            process.onExit().get(STOP_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            process.destroyForcibly();
        }
    }

    /**
     * Waits for the supervisor to exit (SIGTERM, then SIGKILL, when it takes too long), removes whatever its mesh
     * left (through {@link StaleMeshes}, now that its owner is gone) and the state folder. Returns what is still
     * there.
     */
    static List<String> removeAll(LocalMeshState state) throws InterruptedException {
        Optional<LocalMeshState.Control> control = state.control();
        Optional<ProcessHandle> supervisor = state.pid().flatMap(ProcessHandle::of);
        if (supervisor.isPresent() && supervisor.get().isAlive()) {
            try {
                supervisor.get().onExit().get(STOP_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                stop(supervisor.get());
            }
        }
        StaleMeshes.sweep();
        List<String> left = new ArrayList<>();
        control.ifPresent(c -> left.addAll(leftovers(c.meshName(), Path.of(c.meshDir()))));
        deleteTree(state.dir());
        if (Files.exists(state.dir())) {
            left.add("state folder " + state.dir());
        }
        // The folders above it, when this was the last mesh (…/ambient-java/local).
        Path root = LocalMeshState.root();
        for (Path folder : List.of(root, root.getParent())) {
            try {
                if (folder.getFileName().toString().matches("local|ambient-java")) {
                    Files.deleteIfExists(folder);
                }
            } catch (IOException notEmpty) {
                break;
            }
        }
        return left;
    }

    /** The mesh's network namespaces, processes and folder still present. */
    static List<String> leftovers(String meshName, Path meshDir) {
        List<String> left = new ArrayList<>();
        HostCommand.of("ip", "netns", "list")
                .run()
                .stdout()
                .lines()
                .map(l -> l.split(" ")[0])
                .filter(n -> n.startsWith(meshName + "-"))
                .forEach(n -> left.add("netns " + n));
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(meshDir.toString()))
                .forEach(p -> left.add("process " + p.pid()));
        if (Files.exists(meshDir)) {
            left.add("folder " + meshDir);
        }
        return left;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // Reported by the caller as a leftover.
        }
    }
}
