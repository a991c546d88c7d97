package io.ambientjava.istiod.deploy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ConfigSource;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod-lite's counterpart of istiod's namespace controller: keeps a ConfigMap {@value #CONFIG_MAP} with
 * {@value #DATA_KEY} = the mesh CA's root certificate (PEM) in every namespace, labelled {@code istio.io/config:
 * "true"}, so that ztunnel, the waypoints istiod-lite deploys and sidecars can verify istiod-lite's TLS port and the
 * certificates its CA issues.
 *
 * <p>As Istio: namespaces {@link #SKIPPED_NAMESPACES} and namespaces being deleted ({@code status.phase:
 * Terminating}, or a deletion timestamp) get nothing; a missing ConfigMap is created; an existing one is updated only
 * when its {@value #DATA_KEY} differs from the root (a CA rotation, or someone edited it), and then only that key:
 * its other keys, labels and annotations stay as found. Nothing is ever deleted (the namespace's deletion removes its
 * ConfigMap).
 *
 * <p>Reads: the namespaces and the ConfigMaps come from the config snapshots (the Kubernetes source watches both in
 * every namespace); a namespace whose ConfigMap the snapshot shows with the right root costs no API call. For any
 * other namespace the ConfigMap is read from the API server (GET) before it is created or updated, so a snapshot
 * that lags behind (just after a write) never causes a wrong write. Updates are PUTs with the resourceVersion read
 * (optimistic locking).
 *
 * <p>Rounds run on a thread of their own ({@link ReconcileLoop}): after every config snapshot that changed a namespace
 * or one of these ConfigMaps, every {@code resyncPeriod} whatever changed (that is also when a changed root is picked
 * up), and {@code retryDelay} after a round in which an API call failed. A failed call (conflict, forbidden, server
 * error) is logged with the ConfigMap it was for, the other namespaces go on, and the round is retried.
 *
 * <p>Two writers with different roots (two istiod-lite replicas that each made a self-signed root) would rewrite each
 * other's ConfigMaps on every change they see. To keep that from becoming a write loop, a ConfigMap this publisher
 * wrote with the same root less than {@code resyncPeriod} ago and now finds with another root is rewritten only once
 * that period has passed, with a warning saying why.
 */
public final class RootCertificatePublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RootCertificatePublisher.class);

    /** The ConfigMap's name in every namespace, as Istio's. */
    public static final String CONFIG_MAP = "istio-ca-root-cert";

    /** The key of the root certificate PEM in it. */
    public static final String DATA_KEY = "root-cert.pem";

    /** Labels a created ConfigMap gets, as Istio's namespace controller sets them. */
    public static final Map<String, String> LABELS = Map.of("istio.io/config", "true");

    /**
     * Namespaces that get no ConfigMap: Istio's {@code inject.IgnoredNamespaces} (kube-system, kube-public,
     * kube-node-lease, local-path-storage) without kube-system, exactly as istiod's namespace controller takes them
     * ("kube-system is not skipped to enable deploying ztunnel in that namespace").
     */
    public static final Set<String> SKIPPED_NAMESPACES = Set.of("kube-public", "kube-node-lease", "local-path-storage");

    /** What this publisher last wrote into a namespace's ConfigMap, and when. */
    private record Written(String root, Instant at) {}

    private final KubernetesClient client;
    private final Supplier<String> rootPem;
    private final ReconcileLoop.Options options;
    private final ReconcileLoop loop;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong failedCalls = new AtomicLong();

    // Only touched on the loop's thread.
    private final Map<String, Written> written = new HashMap<>();
    private Set<String> reportedContested = new HashSet<>();
    private Set<String> contested = new HashSet<>();

    private RootCertificatePublisher(KubernetesClient client, Supplier<String> rootPem, ReconcileLoop.Options options) {
        this.client = client;
        this.rootPem = rootPem;
        this.options = options;
        this.loop = new ReconcileLoop("root-cert-publisher", "root certificate round", log, options, this::plan);
    }

    /**
     * Starts publishing {@code rootPem} (asked again every round, so a rotated root is picked up) into the namespaces
     * of {@code source}'s snapshots through {@code client} (which stays the caller's to close); the first round runs
     * at once.
     */
    public static RootCertificatePublisher start(
            KubernetesClient client, ConfigSource source, Supplier<String> rootPem, ReconcileLoop.Options options) {
        RootCertificatePublisher publisher = new RootCertificatePublisher(
                Objects.requireNonNull(client, "client"), Objects.requireNonNull(rootPem, "rootPem"), options);
        publisher.loop.start(source);
        log.info(
                "publishing the mesh root certificate as ConfigMap {} (key {}) in every namespace but {}",
                CONFIG_MAP,
                DATA_KEY,
                SKIPPED_NAMESPACES.stream().sorted().toList());
        return publisher;
    }

    /** Creates and updates of ConfigMaps so far (tests, monitoring). */
    public long writes() {
        return writes.get();
    }

    /** API calls that failed so far. */
    public long failedCalls() {
        return failedCalls.get();
    }

    /** Rounds that ran (not skipped as unchanged) so far. */
    public long rounds() {
        return loop.rounds();
    }

    /**
     * Runs a full round now, even if nothing changed, and waits for it (at most {@code timeout}); true when every
     * API call of it succeeded. For tests and debugging.
     */
    public boolean reconcileNow(Duration timeout) {
        return loop.reconcileNow(timeout);
    }

    /** A round over the snapshot's served namespaces with the root as it is now (on the loop's thread). */
    private ReconcileLoop.Round plan(ConfigSnapshot snapshot) {
        String root = Objects.requireNonNull(rootPem.get(), "root certificate PEM");
        List<String> namespaces = snapshot.namespaces().stream()
                .filter(RootCertificatePublisher::served)
                .map(n -> n.getMetadata().getName())
                .toList();
        return new ReconcileLoop.Round(
                fingerprint(snapshot, root, namespaces), () -> publish(snapshot, root, namespaces));
    }

    /** Publishes the root where the snapshot does not show it in place; false when a call failed. */
    private boolean publish(ConfigSnapshot snapshot, String root, List<String> namespaces) {
        boolean ok = true;
        contested = new HashSet<>();
        for (String namespace : namespaces) {
            Optional<ConfigMap> cached = snapshot.get(ResourceKind.CONFIG_MAP, namespace, CONFIG_MAP, ConfigMap.class);
            if (cached.isPresent() && root.equals(dataOf(cached.get()).get(DATA_KEY))) {
                continue; // in place, as the informer last saw it
            }
            try {
                ok &= reconcile(namespace, root);
            } catch (RuntimeException e) {
                failedCalls.incrementAndGet();
                if (!loop.closed()) {
                    log.warn(
                            "ConfigMap {}/{}: publishing the root certificate failed; retrying in {}",
                            namespace,
                            CONFIG_MAP,
                            options.retryDelay(),
                            e);
                }
                ok = false;
            }
        }
        written.keySet().retainAll(Set.copyOf(namespaces));
        reportedContested = contested;
        return ok;
    }

    /** Not skipped and not on its way out (Istio skips a namespace whose phase is Terminating). */
    static boolean served(Namespace namespace) {
        String name = namespace.getMetadata().getName();
        if (name == null || SKIPPED_NAMESPACES.contains(name)) {
            return false;
        }
        if (namespace.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        return namespace.getStatus() == null
                || !"Terminating".equals(namespace.getStatus().getPhase());
    }

    /**
     * What a round acts on: the root, the served namespaces, and the resource versions of their ConfigMaps in the
     * snapshot. Unchanged, a round has nothing new to act on (the periodic resync still runs).
     */
    private static String fingerprint(ConfigSnapshot snapshot, String root, List<String> namespaces) {
        StringBuilder text = new StringBuilder(root).append('\n');
        for (String namespace : namespaces) {
            text.append(namespace)
                    .append(' ')
                    .append(snapshot.get(ResourceKind.CONFIG_MAP, namespace, CONFIG_MAP, ConfigMap.class)
                            .map(c -> c.getMetadata().getResourceVersion())
                            .orElse("-"))
                    .append('\n');
        }
        return text.toString();
    }

    /** Reads the namespace's ConfigMap from the API server and creates or updates it; false when a call failed. */
    private boolean reconcile(String namespace, String root) {
        NonNamespaceOperation<ConfigMap, ?, Resource<ConfigMap>> configMaps =
                client.configMaps().inNamespace(namespace);
        String what = "ConfigMap " + namespace + "/" + CONFIG_MAP;
        String doing = "reading";
        try {
            ConfigMap live = configMaps.withName(CONFIG_MAP).get();
            if (live == null) {
                doing = "creating";
                try {
                    configMaps.resource(desired(namespace, root)).create();
                    writes.incrementAndGet();
                    written.put(namespace, new Written(root, options.clock().instant()));
                    log.info("created {} with the mesh root certificate", what);
                    return true;
                } catch (KubernetesClientException e) {
                    if (namespaceGoneOrTerminating(e)) {
                        log.debug(
                                "{}: not created, the namespace is gone or being deleted ({})",
                                what,
                                ReconcileLoop.reason(e));
                        return true;
                    }
                    if (e.getCode() != 409) {
                        throw e;
                    }
                    doing = "reading"; // created by someone else meanwhile: check what it holds
                    live = configMaps.withName(CONFIG_MAP).get();
                    if (live == null) {
                        failed(what + ": it was created and deleted meanwhile");
                        return false;
                    }
                }
            }
            Map<String, String> data = dataOf(live);
            if (root.equals(data.get(DATA_KEY))) {
                return true;
            }
            if (live.getMetadata().getDeletionTimestamp() != null) {
                log.info("{} is being deleted; it is created again once it is gone", what);
                return false;
            }
            Written ours = written.get(namespace);
            Instant now = options.clock().instant();
            if (ours != null
                    && ours.root().equals(root)
                    && now.isBefore(ours.at().plus(options.resyncPeriod()))) {
                contested.add(namespace);
                if (!reportedContested.contains(namespace)) {
                    log.warn(
                            "{}: {} was changed to another certificate after istiod-lite wrote it {} s ago: is another"
                                    + " istiod-lite replica serving a root of its own? (give every replica the same CA"
                                    + " with --ca-dir); not rewriting it before {} has passed",
                            what,
                            DATA_KEY,
                            Duration.between(ours.at(), now).toSeconds(),
                            options.resyncPeriod());
                }
                return true;
            }
            doing = "updating";
            Map<String, String> updated = new LinkedHashMap<>(data);
            updated.put(DATA_KEY, root);
            live.setData(updated);
            configMaps.resource(live).update();
            writes.incrementAndGet();
            written.put(namespace, new Written(root, now));
            log.info(
                    "updated {}: {} {}",
                    what,
                    DATA_KEY,
                    data.containsKey(DATA_KEY) ? "held another certificate" : "was missing");
            return true;
        } catch (KubernetesClientException e) {
            failed(what + ": " + doing + " failed: " + ReconcileLoop.reason(e));
            return false;
        }
    }

    private static ConfigMap desired(String namespace, String root) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(CONFIG_MAP)
                .withNamespace(namespace)
                .withLabels(new LinkedHashMap<>(LABELS))
                .endMetadata()
                .withData(new LinkedHashMap<>(Map.of(DATA_KEY, root)))
                .build();
    }

    private static Map<String, String> dataOf(ConfigMap configMap) {
        return configMap.getData() == null ? Map.of() : configMap.getData();
    }

    /**
     * A create that cannot succeed and need not be retried: the namespace is gone (404) or being deleted (403 with
     * cause {@code NamespaceTerminating}), as Istio's namespace controller skips them.
     */
    private static boolean namespaceGoneOrTerminating(KubernetesClientException e) {
        if (e.getCode() == 404) {
            return true;
        }
        if (e.getCode() != 403 || e.getStatus() == null || e.getStatus().getDetails() == null) {
            return false;
        }
        List<StatusCause> causes = e.getStatus().getDetails().getCauses();
        return causes != null && causes.stream().anyMatch(c -> "NamespaceTerminating".equals(c.getReason()));
    }

    /** A failed API call: counted, and logged by the loop (quietly when it failed the same way the round before). */
    private void failed(String message) {
        failedCalls.incrementAndGet();
        loop.reportFailure(message);
    }

    @Override
    public void close() {
        loop.close();
    }
}
