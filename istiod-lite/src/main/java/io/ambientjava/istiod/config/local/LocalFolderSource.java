package io.ambientjava.istiod.config.local;

import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ConfigSource;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.SourceLocation;
import io.ambientjava.istiod.config.yaml.ResourceFileParser;
import io.ambientjava.istiod.config.yaml.ResourceFileParser.ParsedFile;
import io.ambientjava.istiod.config.yaml.ResourceFileParser.Refused;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration from a folder of YAML files ({@code *.yaml}, {@code *.yml}, in sub-folders too; names starting
 * with a dot are skipped), each holding any number of resources. Re-read on every change.
 *
 * <p>A document that fails validation never replaces the last valid version of its resource: the old version
 * stays in force and the error is listed in {@link #problems()}. The same holds for resources of a file that
 * became unreadable or has a YAML syntax error before them. A resource disappears only when no document in any
 * file names it any more. When two documents define the same resource, the later one (in path order) wins, as
 * with {@code kubectl apply -f <folder>}, and a warning names both.
 */
public final class LocalFolderSource implements ConfigSource {

    private static final Logger log = LoggerFactory.getLogger(LocalFolderSource.class);
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

    private final Path folder;
    private final ResourceFileParser parser = new ResourceFileParser();
    private final ScheduledExecutorService executor;
    private final List<Consumer<ConfigSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private final FolderWatcher watcher;
    private final Map<Path, CachedParse> parsedFiles = new java.util.HashMap<>(); // only on the executor thread
    private volatile ConfigSnapshot current = ConfigSnapshot.empty();
    private volatile List<ConfigProblem> problems = List.of();

    private LocalFolderSource(Path folder, Duration pollInterval) {
        this.folder = folder;
        this.executor = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("config-folder").factory());
        reloadNow();
        this.watcher = new FolderWatcher(folder, pollInterval, executor, this::reload);
        executor.execute(watcher::registerFolders);
    }

    /** Reads {@code folder} now and keeps watching it. */
    public static LocalFolderSource open(Path folder) {
        return open(folder, DEFAULT_POLL_INTERVAL);
    }

    public static LocalFolderSource open(Path folder, Duration pollInterval) {
        Objects.requireNonNull(folder, "folder");
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("config folder " + folder + " is not a directory");
        }
        if (!pollInterval.isPositive()) {
            throw new IllegalArgumentException("poll interval must be positive: " + pollInterval);
        }
        return new LocalFolderSource(folder.toAbsolutePath().normalize(), pollInterval);
    }

    public Path folder() {
        return folder;
    }

    @Override
    public ConfigSnapshot current() {
        return current;
    }

    @Override
    public List<ConfigProblem> problems() {
        return problems;
    }

    @Override
    public void addListener(Consumer<ConfigSnapshot> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Re-reads the folder on the source's thread and waits for it (changes are picked up by themselves too). */
    public void reloadNow() {
        try {
            executor.submit(this::reload).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("reloading " + folder + " failed", e.getCause());
        }
    }

    private void reload() {
        List<ConfigProblem> found = new ArrayList<>();
        Map<ResourceKey, ConfigResource> fresh = new LinkedHashMap<>();
        Set<ResourceKey> refused = new HashSet<>();
        Set<Path> unreliableFiles = new HashSet<>();
        List<Path> files = yamlFiles();
        if (files == null) {
            return;
        }
        for (Path file : files) {
            Path shown = folder.relativize(file);
            ParsedFile parsed;
            try {
                parsed = parse(shown, file);
            } catch (IOException | UncheckedIOException e) {
                found.add(ConfigProblem.error(new SourceLocation(shown, 1), "", "", "cannot read the file: " + e));
                unreliableFiles.add(shown);
                continue;
            }
            found.addAll(parsed.problems());
            if (!parsed.complete()) {
                unreliableFiles.add(shown);
            }
            parsed.outcomes().forEach(outcome -> {
                if (outcome instanceof Refused r) {
                    r.key().ifPresent(refused::add);
                }
            });
            for (ConfigResource resource : parsed.accepted()) {
                ConfigResource earlier = fresh.remove(resource.key());
                fresh.put(resource.key(), resource);
                if (earlier != null) {
                    found.add(ConfigProblem.warning(
                            resource.location(),
                            resource.key().toString(),
                            "metadata.name",
                            "also defined in " + earlier.location() + "; this later definition replaces it, as"
                                    + " 'kubectl apply -f <folder>' would"));
                }
            }
        }
        Set<Path> present = new HashSet<>();
        files.forEach(f -> present.add(folder.relativize(f)));
        parsedFiles.keySet().retainAll(present);
        Map<ResourceKey, ConfigResource> result = new LinkedHashMap<>(fresh);
        for (ConfigResource previous : current.resources().values()) {
            ResourceKey key = previous.key();
            if (result.containsKey(key)) {
                continue;
            }
            boolean keep = refused.contains(key)
                    || unreliableFiles.contains(previous.location().file());
            if (keep) {
                result.put(key, previous);
                found.add(ConfigProblem.warning(
                        previous.location(),
                        key.toString(),
                        "",
                        "keeping the last valid version (read from " + previous.location()
                                + ") until the error is fixed"));
            }
        }
        problems = List.copyOf(found);
        found.stream().filter(ConfigProblem::isError).forEach(p -> log.warn("{}", p.message()));
        ConfigSnapshot next = ConfigSnapshot.of(current.generation() + 1, result.values());
        if (next.sameResourcesAs(current) && current.generation() > 0) {
            return;
        }
        current = next;
        log.info(
                "config from {}: {} resources (generation {}), {} problems",
                folder,
                result.size(),
                next.generation(),
                found.size());
        if (watcher != null) {
            watcher.registerFolders();
        }
        for (Consumer<ConfigSnapshot> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                log.error("config listener failed", e);
            }
        }
    }

    /**
     * Parses a file, or reuses the last result when it is unchanged, so one edited file in a large folder costs one
     * file's parse; unchanged resources also keep their objects from snapshot to snapshot. A file whose size,
     * modification time and inode are as last time is not even read again, unless it was modified in the last
     * second: file times tick in jiffies, so a same-size rewrite right after the last read could carry the same
     * time (git's "racily clean" problem).
     */
    private ParsedFile parse(Path shown, Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        String stamp = attributes.size() + "@" + attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "#"
                + attributes.fileKey();
        CachedParse cached = parsedFiles.get(shown);
        boolean settled = attributes.lastModifiedTime().toMillis() < System.currentTimeMillis() - 1_000;
        if (cached != null && settled && cached.stamp().equals(stamp)) {
            return cached.parsed();
        }
        String text = Files.readString(file);
        if (cached != null && cached.text().equals(text)) {
            parsedFiles.put(shown, new CachedParse(stamp, text, cached.parsed()));
            return cached.parsed();
        }
        ParsedFile parsed = parser.parse(shown, text);
        parsedFiles.put(shown, new CachedParse(stamp, text, parsed));
        return parsed;
    }

    private record CachedParse(String stamp, String text, ParsedFile parsed) {}

    private List<Path> yamlFiles() {
        try (Stream<Path> paths = Files.walk(folder, 8)) {
            return paths.filter(Files::isRegularFile)
                    .filter(p -> {
                        String name = p.getFileName().toString();
                        return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
                    })
                    .filter(p -> !hiddenFolder(folder.relativize(p)))
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            log.warn("cannot list {}: {}; keeping the current configuration", folder, e.toString());
            return null;
        }
    }

    private static boolean hiddenFolder(Path relative) {
        for (int i = 0; i < relative.getNameCount() - 1; i++) {
            if (relative.getName(i).toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
        executor.shutdownNow();
    }
}
