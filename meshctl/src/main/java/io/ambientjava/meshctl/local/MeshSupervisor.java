package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The background process {@code meshctl local up} starts: owns the {@link LocalMesh} (istiod-lite, two simulated
 * nodes with node agent and ztunnel, the pods and waypoints), serves the control endpoint, and tears everything down on
 * {@code POST /v1/shutdown}, SIGTERM or SIGINT. Its output is the state folder's {@code supervisor.log}.
 *
 * <p>Arguments: {@code --state-dir DIR --name NAME --repo REPO}.
 */
public final class MeshSupervisor {
    static final String READY_LINE = "local mesh ready";
    static final List<String> NODES = List.of("node-a", "node-b");

    private MeshSupervisor() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    private static int run(String[] args) {
        if (args.length != 6
                || !args[0].equals("--state-dir")
                || !args[2].equals("--name")
                || !args[4].equals("--repo")) {
            System.err.println("usage: MeshSupervisor --state-dir DIR --name NAME --repo REPO");
            return 2;
        }
        LocalMeshState state = new LocalMeshState(args[3], Path.of(args[1]));
        long started = System.nanoTime();
        java.util.function.Consumer<String> progress = line -> {
            System.out.printf("[%5.1fs] %s%n", (System.nanoTime() - started) / 1e9, line);
            System.out.flush();
        };
        LocalMesh mesh;
        try {
            Files.writeString(
                    state.pidFile(), Long.toString(ProcessHandle.current().pid()));
            mesh = LocalMesh.create(StaleMeshes.LOCAL, DemoJars.locate(Path.of(args[5])), progress);
        } catch (Exception e) {
            System.out.println("cannot start: " + e.getMessage());
            return 1;
        }
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                progress.accept("tearing down " + mesh.name() + " ...");
                mesh.close();
                try {
                    Files.deleteIfExists(state.controlFile());
                } catch (java.io.IOException e) {
                    progress.accept("cannot remove " + state.controlFile() + ": " + e.getMessage());
                }
                progress.accept("torn down");
            }
        };
        Thread hook = Thread.ofPlatform().unstarted(stop);
        Runtime.getRuntime().addShutdownHook(hook);
        CountDownLatch shutdown = new CountDownLatch(1);
        try {
            progress.accept("local mesh " + state.name() + " (" + mesh.name() + ") starting in " + mesh.dir());
            MeshConfigStore store = new MeshConfigStore(mesh.config().dir(), state.lockFile());
            store.locked(s -> {
                for (String namespace : List.of("default", "istio-system")) {
                    s.put(new ResourceKey(ResourceKind.NAMESPACE, "", namespace), namespace(namespace));
                }
                return null;
            });
            mesh.startNodes(NODES);
            LocalPods pods = new LocalPods(mesh, store);
            LocalWaypoints waypoints = new LocalWaypoints(mesh, store);
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String token = HexFormat.of().formatHex(random);
            Files.writeString(
                    Files.createFile(
                            state.tokenFile(),
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                    token);
            String startedAt = Instant.now().toString();
            try (ControlServer control =
                    ControlServer.start(token, mesh, pods, waypoints, store, startedAt, shutdown)) {
                state.publish(new LocalMeshState.Control(
                        ProcessHandle.current().pid(),
                        control.port(),
                        mesh.name(),
                        mesh.dir().toString(),
                        store.dir().toString(),
                        startedAt));
                progress.accept(READY_LINE + ": control on 127.0.0.1:" + control.port());
                shutdown.await();
                progress.accept("shutdown requested");
            }
            return 0;
        } catch (Exception e) {
            progress.accept("failed: "
                    + String.valueOf(e.getMessage() == null ? e : e.getMessage())
                            .strip()
                            .replaceAll("\\s*\\R\\s*", "; "));
            e.printStackTrace(System.out);
            return 1;
        } finally {
            stop.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is what runs us.
            }
        }
    }

    private static ObjectNode namespace(String name) {
        ObjectNode namespace = new ObjectMapper().createObjectNode();
        namespace.put("apiVersion", "v1");
        namespace.put("kind", "Namespace");
        namespace.putObject("metadata").put("name", name);
        return namespace;
    }
}
