package io.ambientjava.cni.agent.podstate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pods and namespaces from a local folder of Kubernetes YAML ({@code *.yaml}, {@code *.yml}, sub-folders
 * included, any number of documents per file; the same manifests istiod-lite's local folder source reads).
 * Only {@code kind: Namespace} and {@code kind: Pod} documents count; others are skipped. The folder is polled;
 * when what it describes changes, the listener gets the new {@link PodState}. A file that does not parse is
 * skipped with a warning (its pods and namespaces count as absent until it is fixed).
 */
public final class PodStateFolder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PodStateFolder.class);

    private final Path folder;
    private final Consumer<PodState> listener;
    private final ScheduledExecutorService poller;
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    private volatile PodState current;

    private PodStateFolder(Path folder, Consumer<PodState> listener) {
        this.folder = folder;
        this.listener = listener;
        this.poller = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("pod-state").factory());
        this.current = read();
    }

    /** Reads the folder now (the first state is {@link #current()}) and then every {@code interval}. */
    public static PodStateFolder watch(Path folder, Duration interval, Consumer<PodState> listener) {
        Objects.requireNonNull(listener, "listener");
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("pod state folder " + folder + " is not a directory");
        }
        if (!interval.isPositive()) {
            throw new IllegalArgumentException("poll interval must be positive: " + interval);
        }
        PodStateFolder watcher = new PodStateFolder(folder, listener);
        watcher.poller.scheduleWithFixedDelay(
                watcher::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return watcher;
    }

    public PodState current() {
        return current;
    }

    /** Reads the folder again now; tells the listener when the state changed. */
    public void poll() {
        try {
            PodState next = read();
            if (!next.equals(current)) {
                current = next;
                listener.accept(next);
            }
        } catch (RuntimeException e) {
            LOG.error("pod state folder {}: {}", folder, e.toString(), e);
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }

    private PodState read() {
        Map<String, Map<String, String>> namespaces = new HashMap<>();
        Map<PodState.PodKey, PodState.PodMeta> pods = new HashMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            LOG.warn("cannot list pod state folder {}: {}; keeping the last state", folder, e.toString());
            return current;
        }
        for (Path file : files) {
            try (MappingIterator<JsonNode> documents =
                    yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
                while (documents.hasNextValue()) {
                    JsonNode document = documents.nextValue();
                    if (document != null && document.isObject()) {
                        add(document, namespaces, pods);
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("skipping pod state file {}: {}", file, e.getMessage());
            }
        }
        return new PodState(namespaces, pods);
    }

    private static void add(
            JsonNode document,
            Map<String, Map<String, String>> namespaces,
            Map<PodState.PodKey, PodState.PodMeta> pods) {
        JsonNode metadata = document.path("metadata");
        String name = metadata.path("name").asText("");
        if (name.isEmpty()) {
            return;
        }
        switch (document.path("kind").asText("")) {
            case "Namespace" -> namespaces.put(name, labels(metadata));
            case "Pod" -> {
                String namespace = metadata.path("namespace").asText("default");
                JsonNode spec = document.path("spec");
                String serviceAccount = spec.path("serviceAccountName")
                        .asText(spec.path("serviceAccount").asText(""));
                pods.put(
                        new PodState.PodKey(namespace, name),
                        new PodState.PodMeta(metadata.path("uid").asText(""), labels(metadata), serviceAccount));
            }
            default -> {}
        }
    }

    private static Map<String, String> labels(JsonNode metadata) {
        Map<String, String> labels = new LinkedHashMap<>();
        metadata.path("labels")
                .properties()
                .forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }
}
