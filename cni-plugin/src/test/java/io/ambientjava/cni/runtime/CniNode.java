package io.ambientjava.cni.runtime;

import io.ambientjava.cni.install.CniInstaller;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A simulated node for CNI tests: a node network namespace, a CNI bin dir and net.d under a temporary folder,
 * and the node's primary network configuration (Debian's reference {@code bridge} with {@code host-local} IPAM
 * on a 198.18.x.0/24 of its own, a bridge name of its own, IPAM state under the folder). Pods are network
 * namespaces made by {@link #newSandbox}; everything is deleted on {@link #close()}, also what a killed earlier
 * run of this JVM's tests left behind ({@code ajcni-<pid>-...} of pids that no longer exist).
 */
public final class CniNode implements AutoCloseable {
    public static final Path REFERENCE_PLUGINS = Path.of("/usr/lib/cni");
    private static final String PREFIX = "ajcni-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final String names;
    private final int subnetOctet;
    private final String bridge;
    private final Path nodeNetns;
    private final List<String> netnsCreated = new ArrayList<>();

    private CniNode(Path dir) {
        this.dir = dir;
        String random = randomTag();
        this.names = PREFIX + ProcessHandle.current().pid() + "-" + random + "-";
        this.subnetOctet = 100 + RANDOM.nextInt(150);
        this.bridge = "ajbr" + random;
        this.nodeNetns = netnsPath(addNetns("node"));
    }

    /** Skips the calling test unless Debian's containernetworking-plugins are installed. */
    public static void assumeReferencePlugins() {
        for (String plugin : List.of("bridge", "host-local", "loopback")) {
            Assumptions.assumeTrue(
                    Files.isExecutable(REFERENCE_PLUGINS.resolve(plugin)),
                    "needs " + REFERENCE_PLUGINS.resolve(plugin) + " (Debian package containernetworking-plugins)");
        }
    }

    /** A node under {@code dir} (which must exist and is used as is). */
    public static CniNode create(Path dir) throws IOException {
        removeStale();
        CniNode node = new CniNode(dir);
        try {
            Files.createDirectories(node.binDir());
            Files.createDirectories(node.netDir());
            Files.writeString(node.netDir().resolve("10-ajpods.conflist"), node.primaryConfig());
            node.nodeExec("ip", "link", "set", "lo", "up");
            return node;
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
    }

    /** The node's own network configuration list, before our plugin is chained in. */
    public String primaryConfig() {
        return """
                {
                  "cniVersion": "1.0.0",
                  "name": "ajpods",
                  "plugins": [
                    {
                      "type": "bridge",
                      "bridge": "%s",
                      "isGateway": true,
                      "ipMasq": false,
                      "hairpinMode": true,
                      "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": "198.18.%d.0/24"}]],
                        "dataDir": "%s"
                      }
                    }
                  ]
                }
                """.formatted(bridge, subnetOctet, dir.resolve("ipam"));
    }

    public Path binDir() {
        return dir.resolve("bin");
    }

    public Path netDir() {
        return dir.resolve("net.d");
    }

    public Path nodeNetns() {
        return nodeNetns;
    }

    public String bridge() {
        return bridge;
    }

    /** The bridge's address, the pods' gateway. */
    public String gateway() {
        return "198.18." + subnetOctet + ".1";
    }

    /** Installs the plugin as a node would (launcher, jar, chained config) with the given agent socket. */
    public CniInstaller.Installed install(Path agentSocket, boolean trainCache) throws IOException {
        return install(agentSocket, trainCache, CniInstaller.Launcher.JVM);
    }

    /** Installs with the given launcher. */
    public CniInstaller.Installed install(Path agentSocket, boolean trainCache, CniInstaller.Launcher launcher)
            throws IOException {
        return new CniInstaller(new CniInstaller.Settings(
                        binDir(), netDir(), agentSocket, CniInstaller.currentJava(), trainCache, launcher))
                .install();
    }

    /** The runtime over the node's current primary configuration, our bin dir first in CNI_PATH. */
    public CniRuntime runtime() throws IOException {
        Path primary;
        try (Stream<Path> files = Files.list(netDir())) {
            primary = files.filter(f -> f.getFileName().toString().endsWith(".conflist"))
                    .sorted()
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no conflist in " + netDir()));
        }
        return new CniRuntime(primary, List.of(binDir(), REFERENCE_PLUGINS), nodeNetns);
    }

    /** A new pod sandbox: its own network namespace, a fresh uid and container id. */
    public Sandbox newSandbox(String namespace, String name) {
        return newSandbox(namespace, name, UUID.randomUUID().toString());
    }

    /** A new pod sandbox with the given {@code K8S_POD_UID}. */
    public Sandbox newSandbox(String namespace, String name, String uid) {
        String netns = addNetns("pod-" + name);
        return new Sandbox(
                "ctr-" + UUID.randomUUID().toString().replace("-", ""), namespace, name, uid, netnsPath(netns));
    }

    /** Deletes a sandbox's network namespace, as a runtime does after DEL. */
    public void deleteSandbox(Sandbox sandbox) {
        String name = sandbox.netns().getFileName().toString();
        run("ip", "netns", "del", name);
        synchronized (netnsCreated) {
            netnsCreated.remove(name);
        }
    }

    /** Runs a command inside a sandbox's netns; returns exit code, stdout and stderr. */
    public static Exec exec(Path netns, String... command) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--"));
        argv.addAll(List.of(command));
        return run(argv.toArray(String[]::new));
    }

    public Exec nodeExec(String... command) {
        return exec(nodeNetns, command);
    }

    /** A finished command. */
    public record Exec(int exitCode, String stdout, String stderr) {
        public Exec orThrow() {
            if (exitCode != 0) {
                throw new IllegalStateException("exit " + exitCode + ": " + stderr.strip());
            }
            return this;
        }
    }

    @Override
    public void close() {
        List<String> all;
        synchronized (netnsCreated) {
            all = new ArrayList<>(netnsCreated);
            netnsCreated.clear();
        }
        // Pods first: deleting a pod netns removes its veth end, and with it the bridge port.
        for (String name : all.reversed()) {
            run("ip", "netns", "del", name);
        }
        deleteTree(dir.resolve("ipam"));
    }

    private String addNetns(String role) {
        String name = names + role;
        if (name.length() > 60) {
            throw new IllegalArgumentException("netns name too long: " + name);
        }
        run("ip", "netns", "add", name).orThrow();
        synchronized (netnsCreated) {
            netnsCreated.add(name);
        }
        return name;
    }

    private static Path netnsPath(String name) {
        return Path.of("/var/run/netns", name);
    }

    private static void removeStale() {
        Path dir = Path.of("/var/run/netns");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (!name.startsWith(PREFIX)) {
                    continue;
                }
                String[] parts = name.split("-");
                if (parts.length < 3 || !parts[1].chars().allMatch(Character::isDigit)) {
                    continue;
                }
                if (!Files.exists(Path.of("/proc", parts[1]))) {
                    run("ip", "netns", "del", name);
                }
            }
        } catch (IOException e) {
            // Best effort only.
        }
    }

    private static String randomTag() {
        StringBuilder tag = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            tag.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return tag.toString();
    }

    private static Exec run(String... command) {
        try {
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            byte[] err = process.getErrorStream().readAllBytes();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            return new Exec(
                    process.exitValue(),
                    new String(out, StandardCharsets.UTF_8),
                    new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
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
            // The temporary folder's owner removes the rest.
        }
    }
}
