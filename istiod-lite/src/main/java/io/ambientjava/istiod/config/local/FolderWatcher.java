package io.ambientjava.istiod.config.local;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells when anything under a folder may have changed: a {@link WatchService} for prompt notice, and a poll of
 * file sizes and modification times as the fallback for file systems where watching misses events (network and
 * some overlay mounts) or is unavailable. Calls {@code onChange} on the given executor, coalescing bursts.
 */
final class FolderWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FolderWatcher.class);
    // Short: it only saves re-reads while an editor's save is in flight (a half-written file is refused and the
    // next event re-reads it anyway), and every millisecond here is added to each push after a config change.
    private static final Duration COALESCE = Duration.ofMillis(15);
    private static final int MAX_DEPTH = 8;

    private final Path folder;
    private final ScheduledExecutorService executor;
    private final Runnable onChange;
    private final WatchService watchService;
    private final ScheduledFuture<?> poll;
    private final Thread watchThread;
    private Map<Path, String> fingerprints;
    private ScheduledFuture<?> pending;

    FolderWatcher(Path folder, Duration pollInterval, ScheduledExecutorService executor, Runnable onChange) {
        this.folder = Objects.requireNonNull(folder, "folder");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        this.fingerprints = fingerprint();
        this.watchService = openWatchService();
        this.watchThread = watchService == null
                ? null
                : Thread.ofVirtual()
                        .name("config-watch-" + folder.getFileName())
                        .start(this::watchLoop);
        long pollMillis = pollInterval.toMillis();
        this.poll = executor.scheduleWithFixedDelay(this::pollOnce, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    }

    /** Registers folders created since the last call; call after every reload. */
    void registerFolders() {
        if (watchService == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder, MAX_DEPTH)) {
            paths.filter(Files::isDirectory).forEach(dir -> {
                try {
                    dir.register(
                            watchService,
                            StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_DELETE,
                            StandardWatchEventKinds.ENTRY_MODIFY);
                } catch (IOException | ClosedWatchServiceException e) {
                    log.debug("cannot watch {}: {}", dir, e.toString());
                }
            });
        } catch (IOException | RuntimeException e) {
            log.debug("cannot list folders under {}: {}", folder, e.toString());
        }
    }

    private WatchService openWatchService() {
        try {
            WatchService service = FileSystems.getDefault().newWatchService();
            folder.register(
                    service,
                    StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
            return service;
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("cannot watch {} ({}); polling only", folder, e.toString());
            return null;
        }
    }

    private void watchLoop() {
        try {
            while (true) {
                WatchKey key = watchService.take();
                key.pollEvents();
                key.reset();
                scheduleChange();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private synchronized void scheduleChange() {
        if (pending == null || pending.isDone()) {
            pending = executor.schedule(this::changed, COALESCE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void changed() {
        fingerprints = fingerprint();
        onChange.run();
    }

    private void pollOnce() {
        Map<Path, String> now = fingerprint();
        if (!now.equals(fingerprints)) {
            fingerprints = now;
            onChange.run();
        }
    }

    private Map<Path, String> fingerprint() {
        Map<Path, String> result = new HashMap<>();
        try (Stream<Path> paths = Files.walk(folder, MAX_DEPTH)) {
            paths.forEach(path -> {
                try {
                    BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                    if (attributes.isRegularFile()) {
                        result.put(
                                path,
                                attributes.size() + "@"
                                        + attributes.lastModifiedTime().toMillis());
                    }
                } catch (IOException e) {
                    // vanished between listing and reading; the next poll sees the settled state
                }
            });
        } catch (IOException | RuntimeException e) {
            log.debug("cannot fingerprint {}: {}", folder, e.toString());
        }
        return result;
    }

    @Override
    public void close() {
        poll.cancel(false);
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                log.debug("closing watch service: {}", e.toString());
            }
        }
        if (watchThread != null) {
            watchThread.interrupt();
        }
    }
}
