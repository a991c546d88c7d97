package io.ambientjava.cni.agent.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a running pod's network namespace on the host as Istio's CNI agent does for pods that predate it: first
 * by the pod's uid in a process's cgroup path (kubelet names pod cgroups {@code pod<uid>}, with dashes or, under
 * the systemd driver, underscores), then by the pod's IP among the local addresses of every network namespace
 * (those of processes under {@code /proc}, and the runtime's named ones under {@code /var/run/netns}, which may
 * hold no process). The node's own namespace is never a pod's. A named file is preferred to a {@code /proc} path
 * for the same namespace: it outlives any one process.
 */
public final class HostNetnsLocator implements PodNetnsLocator {
    private static final Logger LOG = LoggerFactory.getLogger(HostNetnsLocator.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

    private final Path proc;
    private final Path namedNetns;

    public HostNetnsLocator(Path proc, Path namedNetns) {
        this.proc = proc;
        this.namedNetns = namedNetns;
    }

    /** The node's {@code /proc} and the runtimes' {@code /var/run/netns}. */
    public static HostNetnsLocator ofHost() {
        return ofHost(Path.of("/proc"));
    }

    /** With the node's {@code /proc} mounted at {@code hostProc} (a container without the host's pid namespace). */
    public static HostNetnsLocator ofHost(Path hostProc) {
        return new HostNetnsLocator(hostProc, Path.of("/var/run/netns"));
    }

    /** A namespace's identity: the device and inode of its nsfs file. */
    private record NsId(long device, long inode) {}

    @Override
    public Optional<Path> find(ScheduledPod pod) {
        // the agent runs in the node's network namespace (host network); /proc may be the host's, mounted elsewhere
        Optional<NsId> host = nsId(Path.of("/proc/self/ns/net"));
        Map<NsId, Path> named = new LinkedHashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(namedNetns)) {
            for (Path file : files) {
                nsId(file).filter(id -> !host.equals(Optional.of(id))).ifPresent(id -> named.putIfAbsent(id, file));
            }
        } catch (IOException e) {
            LOG.debug("no named netns in {}: {}", namedNetns, e.toString());
        }
        Map<NsId, Path> processes = new LinkedHashMap<>();
        NsId byUid = null;
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, entry -> isPid(entry.getFileName()))) {
            for (Path pid : pids) {
                Optional<NsId> id = nsId(pid.resolve("ns/net"));
                if (id.isEmpty() || host.equals(id)) {
                    continue;
                }
                processes.putIfAbsent(id.get(), pid);
                if (byUid == null && !pod.uid().isEmpty() && cgroupNamesPod(pid, pod.uid())) {
                    byUid = id.get();
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", proc, e.toString());
        }
        if (byUid != null) {
            return Optional.of(pathOf(byUid, named, processes));
        }
        Set<InetAddress> wanted = new HashSet<>();
        for (String ip : pod.ips()) {
            try {
                wanted.add(InetAddress.ofLiteral(ip));
            } catch (IllegalArgumentException e) {
                LOG.warn("pod {} has an unusable IP {}", pod, ip);
            }
        }
        if (wanted.isEmpty()) {
            return Optional.empty();
        }
        Set<NsId> all = new HashSet<>(named.keySet());
        all.addAll(processes.keySet());
        for (NsId id : all) {
            Set<InetAddress> local = processes.containsKey(id)
                    ? LocalAddresses.of(processes.get(id).resolve("net"))
                    : addressesByEntering(named.get(id));
            if (local.stream().anyMatch(wanted::contains)) {
                return Optional.of(pathOf(id, named, processes));
            }
        }
        return Optional.empty();
    }

    private Path pathOf(NsId id, Map<NsId, Path> named, Map<NsId, Path> processes) {
        Path file = named.get(id);
        return file != null ? file : processes.get(id).resolve("ns/net");
    }

    private static boolean isPid(Path name) {
        String text = name.toString();
        return !text.isEmpty() && text.chars().allMatch(Character::isDigit);
    }

    private static boolean cgroupNamesPod(Path pid, String uid) {
        try {
            String cgroup = Files.readString(pid.resolve("cgroup"));
            return cgroup.contains("pod" + uid) || cgroup.contains("pod" + uid.replace('-', '_'));
        } catch (IOException | RuntimeException e) {
            return false; // the process exited, or is not ours to read
        }
    }

    private static Optional<NsId> nsId(Path file) {
        try {
            Map<String, Object> attributes = Files.readAttributes(file, "unix:dev,ino");
            return Optional.of(new NsId(
                    ((Number) attributes.get("dev")).longValue(), ((Number) attributes.get("ino")).longValue()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A named netns no process lives in: its addresses as seen from a short process inside it. */
    private static Set<InetAddress> addressesByEntering(Path netns) {
        List<String> command = List.of(
                "nsenter",
                "--net=" + netns,
                "--",
                "sh",
                "-c",
                "cat /proc/self/net/fib_trie; echo " + LocalAddresses.SEPARATOR
                        + "; cat /proc/self/net/if_inet6 2>/dev/null; true");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (InputStream out = process.getInputStream()) {
                String text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    return Set.of();
                }
                return LocalAddresses.parseCombined(text);
            } finally {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            LOG.debug("cannot look into {}: {}", netns, e.toString());
            return Set.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Set.of();
        }
    }
}
