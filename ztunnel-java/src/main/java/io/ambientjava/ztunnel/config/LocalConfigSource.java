package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.StateUpdate;
import io.ambientjava.ztunnel.state.WorkloadStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the {@link WorkloadStore} from ztunnel's local config: a file ({@code LOCAL_XDS_PATH}), reloaded whenever
 * it changes, or inline text ({@code LOCAL_XDS}), read once. Each successful load replaces the whole state; a bad
 * document is reported (see {@link #lastError()}) and the last good state stays.
 *
 * <p>Changes are noticed two ways: a {@link WatchService} on the file's directory (so a file replaced by rename, as
 * editors and Kubernetes ConfigMap mounts do, is seen too), and a poll of the file's modification time, size and
 * inode as a fallback for file systems without change events. Reloads run one at a time on one thread; content
 * equal to what was last applied is not applied again.
 */
public final class LocalConfigSource implements AutoCloseable {

    /** Environment variable naming the config file. */
    public static final String PATH_ENV = "LOCAL_XDS_PATH";
    /** Environment variable holding the config itself. */
    public static final String INLINE_ENV = "LOCAL_XDS";
    /** Default fallback poll interval. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

    private static final Logger log = LoggerFactory.getLogger(LocalConfigSource.class);
    private static final Duration DEBOUNCE = Duration.ofMillis(50);

    private final WorkloadStore store;
    private final Path file;
    private final String inline;
    private final Duration pollInterval;
    private final boolean watchDirectory;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicBoolean checkPending = new AtomicBoolean();
    private volatile LocalConfigException lastError;
    private volatile byte[] lastAppliedDigest;
    private volatile Fingerprint lastSeen;
    private volatile boolean reportedMissing;
    private ScheduledExecutorService executor;
    private WatchService watchService;
    private Thread watcher;

    private LocalConfigSource(
            WorkloadStore store, Path file, String inline, Duration pollInterval, boolean watchDirectory) {
        this.store = Objects.requireNonNull(store, "store");
        this.file = file;
        this.inline = inline;
        this.pollInterval = pollInterval;
        this.watchDirectory = watchDirectory;
    }

    /** A source reading and watching a file. */
    public static LocalConfigSource file(Path file, WorkloadStore store) {
        return file(file, store, DEFAULT_POLL_INTERVAL);
    }

    /** A source reading and watching a file, polling it at the given interval as a fallback. */
    public static LocalConfigSource file(Path file, WorkloadStore store, Duration pollInterval) {
        return file(file, store, pollInterval, true);
    }

    /** As {@link #file(Path, WorkloadStore, Duration)}; without directory events it only polls (for tests). */
    static LocalConfigSource file(Path file, WorkloadStore store, Duration pollInterval, boolean watchDirectory) {
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("poll interval must be positive");
        }
        return new LocalConfigSource(store, file.toAbsolutePath(), null, pollInterval, watchDirectory);
    }

    /** A source for inline config text. */
    public static LocalConfigSource inline(String yaml, WorkloadStore store) {
        return new LocalConfigSource(store, null, Objects.requireNonNull(yaml, "yaml"), null, false);
    }

    /**
     * The source the environment asks for, as upstream ztunnel decides: {@value #PATH_ENV} first, then
     * {@value #INLINE_ENV}; empty when neither is set (non-empty).
     */
    public static Optional<LocalConfigSource> fromEnvironment(Map<String, String> env, WorkloadStore store) {
        String path = env.get(PATH_ENV);
        if (path != null && !path.isBlank()) {
            return Optional.of(file(Path.of(path), store));
        }
        String yaml = env.get(INLINE_ENV);
        if (yaml != null && !yaml.isBlank()) {
            return Optional.of(inline(yaml, store));
        }
        return Optional.empty();
    }

    /**
     * Loads the config once, synchronously, then (for a file) starts watching it.
     *
     * @return the snapshot the config produced
     * @throws LocalConfigException when the first load fails: nothing is applied and nothing is watched
     */
    public synchronized StateSnapshot start() throws LocalConfigException {
        if (executor != null) {
            throw new IllegalStateException("already started");
        }
        if (inline != null) {
            StateSnapshot snapshot = store.apply(LocalConfigLoader.load(INLINE_ENV, inline));
            applied.incrementAndGet();
            log.info("local config from {} applied: {}", INLINE_ENV, snapshot.summary());
            return snapshot;
        }
        Fingerprint fingerprint = fingerprint();
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new LocalConfigException(file.toString(), 0, 0, "", "cannot read: " + describe(e), e);
        }
        StateSnapshot snapshot = applyContent(content);
        lastSeen = fingerprint;
        startWatching();
        return snapshot;
    }

    private void startWatching() {
        executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "local-config-reload");
            t.setDaemon(true);
            return t;
        });
        long pollMillis = pollInterval.toMillis();
        executor.scheduleWithFixedDelay(() -> check(false), pollMillis, pollMillis, TimeUnit.MILLISECONDS);
        if (!watchDirectory) {
            return;
        }
        try {
            watchService = file.getFileSystem().newWatchService();
            file.getParent()
                    .register(
                            watchService,
                            StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_MODIFY,
                            StandardWatchEventKinds.ENTRY_DELETE);
            watcher = Thread.ofVirtual().name("local-config-watch").start(this::watchLoop);
        } catch (IOException e) {
            log.warn("cannot watch {} ({}); polling every {}", file.getParent(), describe(e), pollInterval);
        }
    }

    private void watchLoop() {
        try {
            while (true) {
                WatchKey key = watchService.take();
                // any event in the directory may be our file: renamed over, a symlink swapped, or an overflow
                key.pollEvents();
                scheduleCheck();
                if (!key.reset()) {
                    log.warn("{} is no longer watchable; polling every {}", file.getParent(), pollInterval);
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private void scheduleCheck() {
        if (checkPending.compareAndSet(false, true)) {
            try {
                executor.schedule(
                        () -> {
                            checkPending.set(false);
                            check(true);
                        },
                        DEBOUNCE.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                checkPending.set(false);
            }
        }
    }

    /**
     * Looks at the file and applies it if its content changed. A poll ({@code force} false) reads the file only when
     * its fingerprint changed; a change event always reads it, since two writes within one timestamp tick keep the
     * size and time the same.
     */
    private void check(boolean force) {
        try {
            Fingerprint now = fingerprint();
            reportedMissing = false;
            if (!force && Objects.equals(now, lastSeen)) {
                return;
            }
            lastSeen = now;
            byte[] content = Files.readAllBytes(file);
            if (Arrays.equals(digest(content), lastAppliedDigest)) {
                return;
            }
            applyContent(content);
        } catch (LocalConfigException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                if (!reportedMissing) {
                    reportedMissing = true;
                    log.warn("local config {} is gone; keeping the last good state", file);
                }
            } else {
                log.warn("local config not applied, keeping the last good state: {}", e.getMessage());
                lastError = e;
            }
        } catch (IOException e) {
            log.warn("cannot read local config {}: {}; keeping the last good state", file, describe(e));
            lastSeen = null;
        } catch (RuntimeException e) {
            log.error("unexpected failure reloading {}", file, e);
        }
    }

    private StateSnapshot applyContent(byte[] content) throws LocalConfigException {
        try {
            StateUpdate update = LocalConfigLoader.load(file.toString(), new String(content, StandardCharsets.UTF_8));
            StateSnapshot snapshot = store.apply(update);
            lastAppliedDigest = digest(content);
            lastError = null;
            applied.incrementAndGet();
            log.info("local config {} applied: {}", file, snapshot.summary());
            return snapshot;
        } catch (LocalConfigException e) {
            lastError = e;
            throw e;
        }
    }

    private Fingerprint fingerprint() throws LocalConfigException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Fingerprint(a.lastModifiedTime().toMillis(), a.size(), a.fileKey());
        } catch (IOException e) {
            throw new LocalConfigException(file.toString(), 0, 0, "", "cannot read: " + describe(e), e);
        }
    }

    private static byte[] digest(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(IOException e) {
        return e instanceof NoSuchFileException ? "no such file" : e.toString();
    }

    /** The error of the last load, if it failed (cleared by the next good load). */
    public Optional<LocalConfigException> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** How many loads were applied to the store so far. */
    public long appliedCount() {
        return applied.get();
    }

    @Override
    public synchronized void close() {
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                log.debug("closing watch service", e);
            }
        }
        if (watcher != null) {
            watcher.interrupt();
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private record Fingerprint(long modifiedMillis, long size, Object fileKey) {}
}
