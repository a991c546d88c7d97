package io.ambientjava.ztunnel.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads a {@link PodsFile} when its modification time or size changes and applies the difference: pods no longer
 * listed are removed (by uid order), new ones added (in file order), a pod whose namespace path changed is removed and added again. A file that
 * does not parse is reported and ignored (the pods stay as they are).
 */
final class PodsFileWatcher implements AutoCloseable {

    /** Where the changes go. */
    interface PodSink {
        void add(PodSpec pod);

        void remove(String uid);
    }

    private static final Logger log = LoggerFactory.getLogger(PodsFileWatcher.class);

    private final Path file;
    private final PodSink sink;
    private final ScheduledExecutorService executor;
    private Map<String, PodSpec> current;
    private Object lastSeen;

    PodsFileWatcher(Path file, Map<String, PodSpec> initial, PodSink sink, Duration interval) {
        this.file = Objects.requireNonNull(file, "file");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.current = Map.copyOf(initial);
        this.lastSeen = fingerprint();
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pods-file-watch");
            t.setDaemon(true);
            return t;
        });
        long millis = interval.toMillis();
        executor.scheduleWithFixedDelay(this::check, millis, millis, TimeUnit.MILLISECONDS);
    }

    private Object fingerprint() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime().toMillis(), a.size(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            return "missing";
        }
    }

    /** Looks at the file once; public for tests that do not want to wait for the timer. */
    synchronized void check() {
        Object now = fingerprint();
        if (now.equals(lastSeen)) {
            return;
        }
        lastSeen = now;
        Map<String, PodSpec> next;
        try {
            next = PodsFile.read(file);
        } catch (StartupException e) {
            log.warn("pods file not applied, keeping the current pods: {}", e.getMessage());
            return;
        }
        List<String> removed = new ArrayList<>();
        List<PodSpec> added = new ArrayList<>();
        current.forEach((uid, pod) -> {
            PodSpec replacement = next.get(uid);
            if (replacement == null || !replacement.equals(pod)) {
                removed.add(uid);
            }
        });
        next.forEach((uid, pod) -> {
            if (!pod.equals(current.get(uid))) {
                added.add(pod);
            }
        });
        removed.sort(null);
        current = Map.copyOf(next);
        if (removed.isEmpty() && added.isEmpty()) {
            return;
        }
        log.info(
                "pods file {} changed: removing {}, adding {}",
                file,
                removed,
                added.stream().map(PodSpec::uid).toList());
        for (String uid : removed) {
            safely(() -> sink.remove(uid), "remove pod " + uid);
        }
        for (PodSpec pod : added) {
            safely(() -> sink.add(pod), "add pod " + pod.uid());
        }
    }

    private static void safely(Runnable action, String what) {
        try {
            action.run();
        } catch (RuntimeException e) {
            log.warn("cannot {}: {}", what, e.getMessage());
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
