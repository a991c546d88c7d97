package io.ambientjava.istiod.config.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ConfigSource;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.SourceLocation;
import io.ambientjava.istiod.config.yaml.ResourceFileParser;
import io.ambientjava.istiod.config.yaml.ResourceFileParser.Accepted;
import io.ambientjava.istiod.config.yaml.ResourceFileParser.Outcome;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration from the Kubernetes API: one informer per {@link WatchedKind} (Namespaces, Pods, Services,
 * EndpointSlices, ServiceAccounts, Nodes, Istio's CRDs, Gateway API), each object checked by the same parser and
 * validator as the local folder's documents.
 *
 * <p>An object that fails validation never replaces the last valid version of its resource: the old version stays in
 * force and the error is listed in {@link #problems()} until the object is fixed or deleted. A kind the API server
 * does not serve (a CRD that is not installed) is reported as a problem while every other kind works; its informer
 * keeps retrying, so installing the CRD later is picked up. Informers re-establish their watches (and relist when
 * the server lost their position) after the API server went away. A burst of events becomes one snapshot: it is
 * published once the events have been quiet for the debounce time, or at the latest after ten times that.
 */
public final class KubernetesSource implements ConfigSource {

    private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RECOVERY_CHECK = Duration.ofSeconds(1);

    /** How the source follows the API. */
    public record Options(
            Duration debounce, Duration initialSyncTimeout, Duration resyncPeriod, List<WatchedKind> kinds) {
        public Options {
            Objects.requireNonNull(debounce, "debounce");
            Objects.requireNonNull(initialSyncTimeout, "initialSyncTimeout");
            Objects.requireNonNull(resyncPeriod, "resyncPeriod");
            kinds = List.copyOf(kinds);
            if (debounce.isNegative() || initialSyncTimeout.isNegative() || resyncPeriod.isNegative()) {
                throw new IllegalArgumentException("durations must not be negative");
            }
        }

        /** 100 ms debounce, up to 30 s for the first listing, no periodic resync, every kind. */
        public static Options defaults() {
            return new Options(Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ZERO, WatchedKind.all());
        }

        public Options withDebounce(Duration value) {
            return new Options(value, initialSyncTimeout, resyncPeriod, kinds);
        }

        public Options withInitialSyncTimeout(Duration value) {
            return new Options(debounce, value, resyncPeriod, kinds);
        }

        public Options withKinds(List<WatchedKind> value) {
            return new Options(debounce, initialSyncTimeout, resyncPeriod, value);
        }
    }

    private final KubernetesClient client;
    private final boolean ownsClient;
    private final Options options;
    private final ResourceFileParser parser = ResourceFileParser.forApiServerObjects();
    private final ScheduledExecutorService executor;
    private final List<Consumer<ConfigSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private final Map<WatchedKind, SharedIndexInformer<GenericKubernetesResource>> informers = new LinkedHashMap<>();
    private final Map<ResourceKind, CompletableFuture<Void>> firstOutcome = new ConcurrentHashMap<>();

    // Only touched on the executor thread.
    private final Map<ResourceKey, ConfigResource> valid = new HashMap<>();
    private final Map<ResourceKey, List<ConfigProblem>> objectProblems = new HashMap<>();
    private final Map<ResourceKind, ConfigProblem> kindProblems = new EnumMap<>(ResourceKind.class);
    private ScheduledFuture<?> scheduled;
    private long firstChangeNanos;
    private long lastChangeNanos;

    private volatile ConfigSnapshot current = ConfigSnapshot.empty();
    private volatile List<ConfigProblem> problems = List.of();

    private KubernetesSource(KubernetesClient client, boolean ownsClient, Options options) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.options = options;
        this.executor = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("config-kubernetes").factory());
    }

    /**
     * Starts watching through {@code client} (which stays the caller's to close) and returns once every kind has
     * been listed, found missing, or the initial sync timeout passed.
     */
    public static KubernetesSource open(KubernetesClient client, Options options) {
        return start(new KubernetesSource(Objects.requireNonNull(client, "client"), false, options));
    }

    /** Like {@link #open(KubernetesClient, Options)} with a client of its own, closed with the source. */
    public static KubernetesSource connect(Config config, Options options) {
        KubernetesClient client =
                new KubernetesClientBuilder().withConfig(config).build();
        try {
            return start(new KubernetesSource(client, true, options));
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static KubernetesSource start(KubernetesSource source) {
        try {
            source.startInformers();
            source.awaitInitialSync();
            source.publishNow();
            source.executor.scheduleWithFixedDelay(
                    source::clearRecoveredKinds,
                    RECOVERY_CHECK.toMillis(),
                    RECOVERY_CHECK.toMillis(),
                    TimeUnit.MILLISECONDS);
            return source;
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** The API server this source reads. */
    public String masterUrl() {
        return client.getConfiguration().getMasterUrl();
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

    /** Publishes the pending changes now (skipping the debounce) and waits for it. */
    public void publishNow() {
        try {
            executor.submit(() -> {
                        if (scheduled != null) {
                            scheduled.cancel(false);
                            scheduled = null;
                        }
                        publish();
                    })
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("publishing the Kubernetes config failed", e.getCause());
        }
    }

    private void startInformers() {
        long resyncMillis = options.resyncPeriod().toMillis();
        for (WatchedKind watched : options.kinds()) {
            CompletableFuture<Void> outcome = new CompletableFuture<>();
            firstOutcome.put(watched.kind(), outcome);
            io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable<
                            GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList, ?>
                    watchedObjects =
                            client.genericKubernetesResources(watched.context()).inAnyNamespace();
            for (var excluded : watched.excludedFields().entrySet()) {
                for (String value : excluded.getValue()) {
                    watchedObjects = watchedObjects.withoutField(excluded.getKey(), value);
                }
            }
            SharedIndexInformer<GenericKubernetesResource> informer = watchedObjects.runnableInformer(resyncMillis);
            informer.exceptionHandler((started, failure) -> {
                listFailed(watched, started, failure);
                return true; // keep retrying (with fabric8's back-off): the CRD may be installed, the server may return
            });
            informer.addEventHandler(new Handler(watched));
            informers.put(watched, informer);
            informer.start().whenComplete((ignored, failure) -> {
                if (failure == null) {
                    onSourceThread(() -> listed(watched));
                }
            });
        }
    }

    private void awaitInitialSync() {
        CompletableFuture<Void> all =
                CompletableFuture.allOf(firstOutcome.values().toArray(CompletableFuture[]::new));
        try {
            all.get(options.initialSyncTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            List<String> pending = firstOutcome.entrySet().stream()
                    .filter(entry -> !entry.getValue().isDone())
                    .map(entry -> entry.getKey().qualifiedName())
                    .toList();
            log.warn(
                    "{}: no answer within {} for {}; starting without them, they follow when they arrive",
                    masterUrl(),
                    options.initialSyncTimeout(),
                    pending);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        // The informers hand their listed objects to the event handlers asynchronously; take them from the caches
        // so that the first snapshot holds everything listed (the handlers' later copies change nothing).
        try {
            executor.submit(() -> informers.forEach((watched, informer) -> {
                        if (informer.hasSynced()) {
                            informer.getStore().list().forEach(object -> upsert(watched, object));
                        }
                    }))
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the listed objects failed", e.getCause());
        }
    }

    private void listed(WatchedKind watched) {
        ConfigProblem cleared = kindProblems.remove(watched.kind());
        if (cleared != null) {
            log.info("{}: {} is served now", masterUrl(), watched.listPath());
            changed();
        }
        firstOutcome.get(watched.kind()).complete(null);
    }

    /**
     * Runs on the executor: a failure after the first listing is reported by the informer, but not its recovery;
     * a kind whose watch is running again is fine again.
     */
    private void clearRecoveredKinds() {
        try {
            informers.forEach((watched, informer) -> {
                if (kindProblems.containsKey(watched.kind()) && informer.hasSynced() && informer.isWatching()) {
                    listed(watched);
                }
            });
        } catch (RuntimeException e) {
            log.debug("checking the informers: {}", e.toString());
        }
    }

    private void listFailed(WatchedKind watched, boolean started, Throwable failure) {
        InformerFailure why = InformerFailure.of(watched, failure);
        ConfigProblem problem = ConfigProblem.error(
                SourceLocation.ofObject("kubernetes:" + watched.listPath()),
                watched.kind().qualifiedName(),
                "",
                why.reason() + "; retrying" + (started ? ", keeping the last listed state" : ""));
        onSourceThread(() -> {
            ConfigProblem previous = kindProblems.put(watched.kind(), problem);
            if (previous == null || !previous.reason().equals(problem.reason())) {
                log.warn("{}", problem.message());
                changed();
            }
        });
        if (why.isAnswer()) {
            firstOutcome.get(watched.kind()).complete(null);
        }
    }

    /** Runs on the executor: validates one object and takes it if valid. */
    private void upsert(WatchedKind watched, GenericKubernetesResource object) {
        ResourceKey key = keyOf(watched.kind(), object);
        if (!watched.selects(object)) {
            if (valid.remove(key) != null) {
                changed();
            }
            return;
        }
        SourceLocation location =
                SourceLocation.ofObject("kubernetes:" + watched.objectPath(key.namespace(), key.name()));
        List<ConfigProblem> found = new ArrayList<>();
        Outcome outcome = parser.decode(asTree(watched, object), location, found);
        if (outcome instanceof Accepted accepted) {
            ConfigResource previous = valid.put(key, accepted.resource());
            if (previous == null
                    || !previous.object().equals(accepted.resource().object())) {
                changed();
            }
        } else {
            ConfigResource kept = valid.get(key);
            if (kept != null) {
                found.add(ConfigProblem.warning(
                        location,
                        key.toString(),
                        "",
                        "keeping the last valid version (resourceVersion "
                                + kept.object().getMetadata().getResourceVersion()
                                + ") until the error is fixed"));
            }
        }
        List<ConfigProblem> before = found.isEmpty() ? objectProblems.remove(key) : objectProblems.put(key, found);
        if (!found.equals(before == null ? List.of() : before)) {
            found.stream()
                    .filter(ConfigProblem::isError)
                    .forEach(p -> log.warn("{} (resourceVersion {})", p.message(), resourceVersion(object)));
            changed();
        }
    }

    /** Runs on the executor. */
    private void remove(WatchedKind watched, GenericKubernetesResource object) {
        ResourceKey key = keyOf(watched.kind(), object);
        boolean removed = valid.remove(key) != null;
        boolean hadProblems = objectProblems.remove(key) != null;
        if (removed || hadProblems) {
            changed();
        }
    }

    private static ResourceKey keyOf(ResourceKind kind, GenericKubernetesResource object) {
        String namespace = object.getMetadata().getNamespace();
        return new ResourceKey(
                kind,
                kind.namespaced() && namespace != null ? namespace : "",
                Objects.requireNonNullElse(object.getMetadata().getName(), ""));
    }

    private static String resourceVersion(GenericKubernetesResource object) {
        return object.getMetadata().getResourceVersion();
    }

    /**
     * The object as a JSON tree for the parser. Items of a list may come without apiVersion and kind; the informer
     * knows them. managedFields is bookkeeping of the API server that says nothing about the resource.
     */
    private static JsonNode asTree(WatchedKind watched, GenericKubernetesResource object) {
        ObjectNode tree = JSON.valueToTree(object);
        if (!tree.path("apiVersion").isTextual()) {
            tree.put("apiVersion", watched.apiVersion());
        }
        if (!tree.path("kind").isTextual()) {
            tree.put("kind", watched.kind().kind());
        }
        if (tree.path("metadata") instanceof ObjectNode metadata) {
            metadata.remove("managedFields");
        }
        return tree;
    }

    /** Runs on the executor: a change happened; publish once the burst is over. */
    private void changed() {
        long now = System.nanoTime();
        lastChangeNanos = now;
        if (scheduled == null) {
            firstChangeNanos = now;
            scheduled = executor.schedule(this::settle, options.debounce().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void settle() {
        long now = System.nanoTime();
        long debounce = options.debounce().toNanos();
        long quiet = now - lastChangeNanos;
        if (quiet < debounce && now - firstChangeNanos < debounce * 10) {
            scheduled = executor.schedule(this::settle, debounce - quiet, TimeUnit.NANOSECONDS);
            return;
        }
        scheduled = null;
        publish();
    }

    private void publish() {
        List<ConfigProblem> all = new ArrayList<>(kindProblems.values());
        objectProblems.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> all.addAll(entry.getValue()));
        problems = List.copyOf(all);
        ConfigSnapshot next = ConfigSnapshot.of(current.generation() + 1, valid.values());
        if (current.generation() > 0 && next.sameResourcesAs(current)) {
            return;
        }
        current = next;
        log.info(
                "config from {}: {} resources (generation {}), {} problems",
                masterUrl(),
                valid.size(),
                next.generation(),
                all.size());
        for (Consumer<ConfigSnapshot> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                log.error("config listener failed", e);
            }
        }
    }

    /** Hands work from informer threads to the source's thread; after {@link #close()} it is dropped. */
    private void onSourceThread(Runnable work) {
        try {
            executor.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    log.error("handling a Kubernetes event failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("source closed; dropping an informer event");
        }
    }

    private final class Handler implements ResourceEventHandler<GenericKubernetesResource> {
        private final WatchedKind watched;

        Handler(WatchedKind watched) {
            this.watched = watched;
        }

        @Override
        public void onAdd(GenericKubernetesResource object) {
            onSourceThread(() -> upsert(watched, object));
        }

        @Override
        public void onUpdate(GenericKubernetesResource oldObject, GenericKubernetesResource newObject) {
            onSourceThread(() -> upsert(watched, newObject));
        }

        @Override
        public void onDelete(GenericKubernetesResource object, boolean finalStateUnknown) {
            onSourceThread(() -> remove(watched, object));
        }
    }

    @Override
    public void close() {
        for (SharedIndexInformer<GenericKubernetesResource> informer : informers.values()) {
            try {
                informer.stop();
            } catch (RuntimeException e) {
                log.debug("stopping an informer: {}", e.toString());
            }
        }
        executor.shutdownNow();
        if (ownsClient) {
            client.close();
        }
    }
}
