package io.ambientjava.istiod.deploy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ConfigSource;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.deploy.WaypointStatus.Verdict;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import java.util.function.BinaryOperator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod-lite's counterpart of Istio's gateway deployment controller, for waypoints only: for every Gateway API
 * Gateway of class {@code istio-waypoint} it keeps a ServiceAccount, a Service and a Deployment of the Java
 * waypoint ({@link WaypointTemplate}) in the Gateway's namespace, and writes the Gateway's status (addresses,
 * {@code Accepted}, {@code Programmed}) so that {@code kubectl wait --for=condition=programmed} works and the
 * translation finds the waypoint's address.
 *
 * <p>Rounds run on a thread of their own ({@link ReconcileLoop}): after every config snapshot that changed a waypoint
 * Gateway or a Service or ServiceAccount of its name, every {@code resyncPeriod} whatever changed (Deployments are not
 * watched), and {@code retryDelay} after a round in which an API call failed. Objects are created when missing and
 * updated only when what istiod-lite sets differs (labels it manages, owner reference, the Service's type, selector and
 * ports, the Deployment's template hash and container image and arguments); fields the API server defaults are never
 * compared. An object of the name that the Gateway does not own is left alone and named in the Gateway's {@code
 * Programmed} condition. Nothing is deleted: the objects carry a controller owner reference to the Gateway, so the
 * garbage collector removes them with it. The status is written only when it would change. A failed API call (conflict,
 * forbidden, server error) is logged with the object it was for, the other objects and Gateways go on, and the round is
 * retried.
 */
public final class WaypointDeployments implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WaypointDeployments.class);

    /** What one object came to in a round. */
    private sealed interface Applied<T> {}

    private record Live<T>(T object) implements Applied<T> {}

    private record Foreign<T>(String message) implements Applied<T> {}

    private record Failed<T>() implements Applied<T> {}

    private final KubernetesClient client;
    private final WaypointTemplate template;
    private final ReconcileLoop.Options options;
    private final ReconcileLoop loop;
    private final AtomicLong statusWrites = new AtomicLong();
    private final AtomicLong objectWrites = new AtomicLong();
    private final AtomicLong failedCalls = new AtomicLong();

    // Only touched on the loop's thread.
    private Set<String> reportedConflicts = new HashSet<>();

    private WaypointDeployments(KubernetesClient client, WaypointTemplate template, ReconcileLoop.Options options) {
        this.client = client;
        this.template = template;
        this.options = options;
        this.loop = new ReconcileLoop("waypoint-deployments", "waypoint deployment round", log, options, this::plan);
    }

    /**
     * Starts deploying the waypoints of {@code source}'s snapshots through {@code client} (which stays the caller's
     * to close); the first round runs at once.
     */
    public static WaypointDeployments start(
            KubernetesClient client,
            ConfigSource source,
            WaypointTemplate.Settings settings,
            ReconcileLoop.Options options) {
        WaypointDeployments deployments = new WaypointDeployments(
                Objects.requireNonNull(client, "client"), new WaypointTemplate(settings), options);
        deployments.loop.start(source);
        log.info(
                "deploying waypoints (Gateways of class {}) with image {}, istiod at {}",
                WaypointTemplate.WAYPOINT_CLASS,
                settings.image(),
                settings.istiodAddress());
        return deployments;
    }

    /** Status writes so far (tests, monitoring). */
    public long statusWrites() {
        return statusWrites.get();
    }

    /** Creates and updates of ServiceAccounts, Services and Deployments so far. */
    public long objectWrites() {
        return objectWrites.get();
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

    /** A round over the snapshot's waypoint Gateways (on the loop's thread). */
    private ReconcileLoop.Round plan(ConfigSnapshot snapshot) {
        List<Gateway> waypoints = snapshot.gateways().stream()
                .filter(g -> g.getSpec() != null
                        && WaypointTemplate.WAYPOINT_CLASS.equals(g.getSpec().getGatewayClassName()))
                .toList();
        return new ReconcileLoop.Round(fingerprint(snapshot, waypoints), () -> reconcileAll(waypoints));
    }

    /** Reconciles every waypoint; true when every API call succeeded. */
    private boolean reconcileAll(List<Gateway> waypoints) {
        boolean ok = true;
        Set<String> conflicts = new HashSet<>();
        for (Gateway gateway : waypoints) {
            if (gateway.getMetadata().getUid() == null || gateway.getMetadata().getDeletionTimestamp() != null) {
                continue; // not from an API server, or on its way out (the garbage collector takes its objects)
            }
            try {
                ok &= reconcile(gateway, conflicts);
            } catch (RuntimeException e) {
                failedCalls.incrementAndGet();
                if (!loop.closed()) {
                    log.warn("{}: reconciling failed; retrying in {}", describe(gateway), options.retryDelay(), e);
                }
                ok = false;
            }
        }
        reportedConflicts = conflicts;
        return ok;
    }

    /**
     * What the snapshot says about the waypoints: their Gateways' and same-named Services' and ServiceAccounts'
     * resource versions. Unchanged, a round has nothing new to act on (the periodic resync still runs).
     */
    private static String fingerprint(ConfigSnapshot snapshot, List<Gateway> waypoints) {
        StringBuilder text = new StringBuilder();
        for (Gateway gateway : waypoints) {
            String namespace = gateway.getMetadata().getNamespace();
            String name = gateway.getMetadata().getName();
            text.append(namespace)
                    .append('/')
                    .append(name)
                    .append(' ')
                    .append(gateway.getMetadata().getUid())
                    .append(' ')
                    .append(gateway.getMetadata().getResourceVersion());
            for (ResourceKind kind : List.of(ResourceKind.SERVICE, ResourceKind.SERVICE_ACCOUNT)) {
                text.append(' ')
                        .append(snapshot.get(kind, namespace, name, HasMetadata.class)
                                .map(o -> o.getMetadata().getResourceVersion())
                                .orElse("-"));
            }
            text.append('\n');
        }
        return text.toString();
    }

    private boolean reconcile(Gateway gateway, Set<String> conflictsSeen) {
        WaypointTemplate.Rendered desired = template.render(gateway);
        List<String> conflicts = new ArrayList<>();
        boolean ok = true;
        Applied<ServiceAccount> account = ensure(
                gateway,
                ServiceAccount.class,
                desired.serviceAccount(),
                WaypointDeployments::sameMetadata,
                WaypointDeployments::mergeMetadata);
        Applied<Service> service = ensure(
                gateway, Service.class, desired.service(), WaypointDeployments::sameService, (existing, wanted) -> {
                    mergeMetadata(existing, wanted);
                    existing.getSpec().setType(wanted.getSpec().getType());
                    existing.getSpec().setSelector(wanted.getSpec().getSelector());
                    existing.getSpec().setPorts(wanted.getSpec().getPorts());
                    return existing;
                });
        Applied<Deployment> deployment = ensure(
                gateway,
                Deployment.class,
                desired.deployment(),
                WaypointDeployments::sameDeployment,
                WaypointDeployments::mergeDeployment);
        for (Applied<?> applied : List.of(account, service, deployment)) {
            switch (applied) {
                case Failed<?> failed -> ok = false;
                case Foreign<?> foreign -> conflicts.add(foreign.message());
                case Live<?> live -> {}
            }
        }
        for (String conflict : conflicts) {
            conflictsSeen.add(conflict);
            if (!reportedConflicts.contains(conflict)) {
                log.warn("{}: {}", describe(gateway), conflict);
            }
        }
        if (!ok) {
            return false; // the status waits for a round whose calls all succeeded
        }
        return writeStatus(gateway, service, conflicts);
    }

    private <T extends HasMetadata> Applied<T> ensure(
            Gateway gateway, Class<T> type, T desired, BiPredicate<T, T> same, BinaryOperator<T> merge) {
        String namespace = gateway.getMetadata().getNamespace();
        String name = desired.getMetadata().getName();
        String what = type.getSimpleName() + " " + namespace + "/" + name;
        NonNamespaceOperation<T, ?, Resource<T>> objects =
                client.resources(type).inNamespace(namespace);
        String doing = "reading";
        try {
            T existing = objects.withName(name).get();
            if (existing == null) {
                doing = "creating";
                T created = objects.resource(desired).create();
                objectWrites.incrementAndGet();
                log.info("{}: created {}", describe(gateway), what);
                return new Live<>(created);
            }
            if (!ownedBy(existing, gateway)) {
                return new Foreign<>(what + " exists and is not owned by this Gateway: istiod-lite leaves it alone"
                        + " (delete or rename it, or give the Gateway another name)");
            }
            if (existing.getMetadata().getDeletionTimestamp() != null) {
                log.info("{}: {} is being deleted; it is created again once it is gone", describe(gateway), what);
                return new Failed<>();
            }
            if (same.test(existing, desired)) {
                return new Live<>(existing);
            }
            doing = "updating";
            T updated = objects.resource(merge.apply(existing, desired)).update();
            objectWrites.incrementAndGet();
            log.info("{}: updated {}", describe(gateway), what);
            return new Live<>(updated);
        } catch (KubernetesClientException e) {
            failed(describe(gateway) + ": " + doing + " " + what + " failed: " + ReconcileLoop.reason(e));
            return new Failed<>();
        }
    }

    private boolean writeStatus(Gateway fromSnapshot, Applied<Service> service, List<String> conflicts) {
        String namespace = fromSnapshot.getMetadata().getNamespace();
        String name = fromSnapshot.getMetadata().getName();
        String domain = template.settings().domainSuffix();
        var gateways = client.resources(Gateway.class).inNamespace(namespace);
        try {
            Gateway gateway = gateways.withName(name).get();
            if (gateway == null
                    || !Objects.equals(
                            gateway.getMetadata().getUid(),
                            fromSnapshot.getMetadata().getUid())) {
                return true; // deleted or replaced meanwhile: the next snapshot tells
            }
            List<GatewayStatusAddress> addresses =
                    service instanceof Live<Service> live ? WaypointStatus.addresses(live.object(), domain) : List.of();
            Verdict programmed;
            if (!conflicts.isEmpty()) {
                programmed = new Verdict(WaypointStatus.PROGRAMMED, false, "Invalid", String.join("; ", conflicts));
            } else if (addresses.isEmpty()) {
                programmed = new Verdict(
                        WaypointStatus.PROGRAMMED,
                        false,
                        "Pending",
                        "waiting for Service " + namespace + "/" + name + " to get a cluster IP");
            } else {
                programmed = new Verdict(
                        WaypointStatus.PROGRAMMED,
                        true,
                        "Programmed",
                        "Resource programmed, assigned to service(s) " + name + "." + namespace + ".svc." + domain + ":"
                                + WaypointTemplate.HBONE_PORT);
            }
            List<Verdict> verdicts = List.of(WaypointStatus.accepted(gateway), programmed);
            long generation =
                    Optional.ofNullable(gateway.getMetadata().getGeneration()).orElse(0L);
            GatewayStatus next = WaypointStatus.next(
                    gateway.getStatus(),
                    generation,
                    verdicts,
                    addresses,
                    options.clock().instant());
            if (!WaypointStatus.differs(gateway.getStatus(), next, verdicts)) {
                return true;
            }
            gateway.setStatus(next);
            gateways.resource(gateway).updateStatus();
            statusWrites.incrementAndGet();
            log.info(
                    "{}: status {}, addresses {}",
                    describe(gateway),
                    verdicts.stream()
                            .map(v -> v.type() + "=" + (v.status() ? "True" : "False") + " (" + v.reason() + ")")
                            .collect(Collectors.joining(", ")),
                    addresses.stream().map(GatewayStatusAddress::getValue).toList());
            return true;
        } catch (KubernetesClientException e) {
            failed(describe(fromSnapshot) + ": writing the status of Gateway " + namespace + "/" + name + " failed: "
                    + ReconcileLoop.reason(e));
            return false;
        }
    }

    /** A failed API call: counted, and logged by the loop (quietly when it failed the same way the round before). */
    private void failed(String message) {
        failedCalls.incrementAndGet();
        loop.reportFailure(message);
    }

    private static String describe(Gateway gateway) {
        return "waypoint " + gateway.getMetadata().getNamespace() + "/"
                + gateway.getMetadata().getName();
    }

    /** Owned: an owner reference to this Gateway (by uid), whether or not it already says controller. */
    static boolean ownedBy(HasMetadata object, Gateway gateway) {
        List<OwnerReference> references = object.getMetadata().getOwnerReferences();
        return references != null
                && references.stream()
                        .anyMatch(r ->
                                Objects.equals(r.getUid(), gateway.getMetadata().getUid()));
    }

    private static <T extends HasMetadata> boolean sameMetadata(T existing, T desired) {
        Map<String, String> have =
                Objects.requireNonNullElse(existing.getMetadata().getLabels(), Map.of());
        Map<String, String> want = desired.getMetadata().getLabels();
        for (String key : WaypointTemplate.MANAGED_LABEL_KEYS) {
            if (!Objects.equals(have.get(key), want.get(key))) {
                return false;
            }
        }
        OwnerReference ours = desired.getMetadata().getOwnerReferences().getFirst();
        return Objects.requireNonNullElse(existing.getMetadata().getOwnerReferences(), List.<OwnerReference>of())
                .stream()
                .anyMatch(r -> Objects.equals(r.getUid(), ours.getUid())
                        && Objects.equals(r.getApiVersion(), ours.getApiVersion())
                        && Objects.equals(r.getKind(), ours.getKind())
                        && Objects.equals(r.getName(), ours.getName())
                        && Boolean.TRUE.equals(r.getController())
                        && Boolean.TRUE.equals(r.getBlockOwnerDeletion()));
    }

    /** Our labels and owner reference into {@code existing}; everything else on it stays. */
    private static <T extends HasMetadata> T mergeMetadata(T existing, T desired) {
        Map<String, String> labels = new LinkedHashMap<>(
                Objects.requireNonNullElse(existing.getMetadata().getLabels(), Map.of()));
        labels.keySet().removeAll(WaypointTemplate.MANAGED_LABEL_KEYS);
        labels.putAll(desired.getMetadata().getLabels());
        existing.getMetadata().setLabels(labels);
        OwnerReference ours = desired.getMetadata().getOwnerReferences().getFirst();
        List<OwnerReference> references = new ArrayList<>(
                Objects.requireNonNullElse(existing.getMetadata().getOwnerReferences(), List.<OwnerReference>of()));
        references.removeIf(r -> Objects.equals(r.getUid(), ours.getUid()));
        references.add(ours);
        existing.getMetadata().setOwnerReferences(references);
        return existing;
    }

    private static boolean sameService(Service existing, Service desired) {
        if (!sameMetadata(existing, desired) || existing.getSpec() == null) {
            return false;
        }
        return Objects.equals(existing.getSpec().getType(), desired.getSpec().getType())
                && Objects.equals(
                        existing.getSpec().getSelector(), desired.getSpec().getSelector())
                && portsText(existing.getSpec().getPorts())
                        .equals(portsText(desired.getSpec().getPorts()));
    }

    private static List<String> portsText(List<ServicePort> ports) {
        if (ports == null) {
            return List.of();
        }
        return ports.stream()
                .map(p -> p.getName() + " " + p.getPort() + " " + p.getProtocol() + " " + p.getAppProtocol() + " "
                        + (p.getTargetPort() == null ? null : p.getTargetPort().getValue()))
                .toList();
    }

    private static boolean sameDeployment(Deployment existing, Deployment desired) {
        if (!sameMetadata(existing, desired) || existing.getSpec() == null) {
            return false;
        }
        Map<String, String> annotations =
                Objects.requireNonNullElse(existing.getMetadata().getAnnotations(), Map.of());
        String hash = desired.getMetadata().getAnnotations().get(WaypointTemplate.TEMPLATE_HASH_ANNOTATION);
        if (!hash.equals(annotations.get(WaypointTemplate.TEMPLATE_HASH_ANNOTATION))) {
            return false;
        }
        // The hash says what istiod-lite rendered; the image and arguments are checked as well, so an edit of the
        // waypoint's container by hand is put back.
        Optional<Container> have = proxyContainer(existing);
        Container want = proxyContainer(desired).orElseThrow();
        return have.isPresent()
                && Objects.equals(have.get().getImage(), want.getImage())
                && Objects.equals(have.get().getArgs(), want.getArgs());
    }

    private static Optional<Container> proxyContainer(Deployment deployment) {
        if (deployment.getSpec().getTemplate() == null
                || deployment.getSpec().getTemplate().getSpec() == null
                || deployment.getSpec().getTemplate().getSpec().getContainers() == null) {
            return Optional.empty();
        }
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> WaypointTemplate.CONTAINER.equals(c.getName()))
                .findFirst();
    }

    /** Our metadata, hash and spec; the replica count stays as found (someone may have scaled the waypoint). */
    private static Deployment mergeDeployment(Deployment existing, Deployment desired) {
        mergeMetadata(existing, desired);
        Map<String, String> annotations = new LinkedHashMap<>(
                Objects.requireNonNullElse(existing.getMetadata().getAnnotations(), Map.of()));
        annotations.putAll(desired.getMetadata().getAnnotations());
        existing.getMetadata().setAnnotations(annotations);
        Integer replicas =
                existing.getSpec() == null ? null : existing.getSpec().getReplicas();
        DeploymentSpec spec = desired.getSpec();
        if (replicas != null) {
            spec.setReplicas(replicas);
        }
        existing.setSpec(spec);
        return existing;
    }

    @Override
    public void close() {
        loop.close();
    }
}
