package io.ambientjava.cni.install;

import io.ambientjava.cni.CniPod;
import io.ambientjava.cni.PodEnrollment;
import io.ambientjava.cni.agent.PluginEventServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the launcher's AOT cache: runs the installed launcher once as a training run (JDK 25's
 * {@code -XX:AOTCacheOutput}) on a CNI ADD answered by a throw-away agent socket, so the cache holds every class
 * a real ADD loads, parsed and linked. A failed training leaves no cache; the plugin then just starts slower.
 */
final class CacheTraining {
    private static final Logger LOG = LoggerFactory.getLogger(CacheTraining.class);
    private static final long TIMEOUT_SECONDS = 60;

    private final Path binDir;
    private final Path launcher;

    CacheTraining(Path binDir, Path launcher) {
        this.binDir = binDir;
        this.launcher = launcher;
    }

    boolean run() throws IOException {
        Path work = Files.createTempDirectory("ambient-cni-training");
        Path output = binDir.resolve("." + CniInstaller.AOT_CACHE + ".training");
        try (PluginEventServer agent = PluginEventServer.start(work.resolve("agent.sock"), new AcceptAll())) {
            ProcessBuilder builder = new ProcessBuilder(launcher.toString())
                    .redirectOutput(work.resolve("stdout").toFile())
                    .redirectError(work.resolve("stderr").toFile());
            Map<String, String> env = builder.environment();
            env.put("AMBIENT_CNI_AOT_OUTPUT", output.toString());
            env.put("CNI_COMMAND", "ADD");
            env.put("CNI_CONTAINERID", "ambient-cni-training");
            env.put("CNI_NETNS", "/proc/self/ns/net");
            env.put("CNI_IFNAME", "eth0");
            env.put("CNI_PATH", binDir.toString());
            env.put("CNI_ARGS", "K8S_POD_NAMESPACE=training;K8S_POD_NAME=training;K8S_POD_UID=training");
            Process process = builder.start();
            try (var stdin = process.getOutputStream()) {
                stdin.write(("{\"cniVersion\":\"1.0.0\",\"name\":\"training\",\"type\":\"ambient-cni\","
                                + "\"agentSocket\":\"" + agent.path() + "\","
                                + "\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\"}],"
                                + "\"ips\":[{\"address\":\"198.18.0.2/24\",\"interface\":0}]}}")
                        .getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                LOG.warn("AOT cache training did not finish within {} s; no cache", TIMEOUT_SECONDS);
                return false;
            }
            if (process.exitValue() != 0 || !Files.exists(output)) {
                LOG.warn(
                        "AOT cache training failed (exit {}): {} {}; the plugin runs without a cache",
                        process.exitValue(),
                        Files.readString(work.resolve("stdout")).strip(),
                        Files.readString(work.resolve("stderr")).strip());
                return false;
            }
            Files.move(
                    output,
                    binDir.resolve(CniInstaller.AOT_CACHE),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            Files.deleteIfExists(output);
            try (var files = Files.list(work)) {
                for (Path file : files.toList()) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(work);
        }
    }

    /** The training agent: says yes to everything and touches nothing. */
    private static final class AcceptAll implements PodEnrollment {
        @Override
        public void add(CniPod pod) {}

        @Override
        public void remove(CniPod pod) {}
    }
}
