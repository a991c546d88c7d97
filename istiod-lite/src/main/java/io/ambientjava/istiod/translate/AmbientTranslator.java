package io.ambientjava.istiod.translate;

import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Scope;
import io.ambientjava.api.workload.Address;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.envoy.EnvoyTranslation;
import io.ambientjava.istiod.translate.envoy.EnvoyTranslator;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Translates a config snapshot into ztunnel's workload xDS resources, the way istiod's ambient index does, and
 * (through {@link EnvoyTranslator}) into the Envoy resources of every waypoint and gateway. Every
 * output resource is computed from its own input resource (one pod → one workload address, one Service → one
 * service address, one policy → one authorization), so a change to one input changes only the outputs that
 * depend on it; the xDS layer then sends only what differs. Thread-safe (translations run one at a time).
 *
 * <p>Pods are the inputs that change most and the most numerous: when nothing but pods changed since the last
 * translation, the workload of every pod whose resource is the same object as last time (config sources keep
 * unchanged resources' objects) is taken from the last translation instead of being built again.
 */
public final class AmbientTranslator {

    private final MeshSettings settings;
    private final ServiceTranslator services;
    private final ServiceEntryTranslator serviceEntries;
    private final WorkloadEntryTranslator workloadEntries;
    private final WorkloadTranslator workloads;
    private final AuthorizationPolicyTranslator authorizationPolicies;
    private final PeerAuthenticationTranslator peerAuthentications;
    private final EnvoyTranslator envoy;
    // Guarded by this: the last translation's non-pod inputs and, per pod resource (by identity), its output.
    private Map<ResourceKey, ConfigResource> lastContext = Map.of();
    private Map<ConfigResource, PodOutput> lastPods = new IdentityHashMap<>();

    /** What one pod translated to: its address (if it is a workload) and the warnings it raised. */
    private record PodOutput(Optional<Address> address, List<String> warnings) {}

    public AmbientTranslator(MeshSettings settings) {
        this(settings, MeshTelemetry.defaults());
    }

    /** With the mesh config's telemetry providers and defaults (for Telemetry resources). */
    public AmbientTranslator(MeshSettings settings, MeshTelemetry telemetry) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.services = new ServiceTranslator(settings);
        this.serviceEntries = new ServiceEntryTranslator(settings);
        this.workloadEntries = new WorkloadEntryTranslator(settings);
        this.workloads = new WorkloadTranslator(settings);
        this.authorizationPolicies = new AuthorizationPolicyTranslator(settings);
        this.peerAuthentications = new PeerAuthenticationTranslator(settings);
        this.envoy = new EnvoyTranslator(settings, telemetry);
    }

    public MeshSettings settings() {
        return settings;
    }

    /** The workload UID istiod gives a pod: {@code <cluster>//Pod/<namespace>/<name>}. */
    public String workloadUid(String namespace, String name) {
        return workloads.uid(namespace, name);
    }

    public synchronized AmbientTranslation translate(ConfigSnapshot snapshot) {
        List<TranslationWarning> warnings = new ArrayList<>();
        Map<String, Authorization> authorizations = new TreeMap<>();
        Map<String, Address> addresses = new TreeMap<>();
        WaypointIndex waypoints = new WaypointIndex(snapshot, settings);
        SelectorWaypoints selectorWaypoints = new SelectorWaypoints(snapshot, waypoints, settings);

        List<TranslationContext.SelectorPolicy> selectorPolicies = new ArrayList<>();
        for (ConfigResource resource : snapshot.all(ResourceKind.AUTHORIZATION_POLICY)) {
            AuthorizationPolicy policy = resource.as(AuthorizationPolicy.class);
            authorizationPolicies
                    .translate(policy, selectorWaypoints, warnTo(resource, warnings))
                    .ifPresent(a -> {
                        authorizations.put(a.getNamespace() + "/" + a.getName(), a);
                        if (a.getScope() == Scope.WORKLOAD_SELECTOR) {
                            Map<String, String> labels =
                                    policy.getSpec().getSelector().getMatchLabels();
                            selectorPolicies.add(new TranslationContext.SelectorPolicy(
                                    a.getNamespace(), a.getName(), labels == null ? Map.of() : labels));
                        }
                    });
        }
        List<PeerAuthentication> allPeerAuthentications = snapshot.peerAuthentications();
        if (!allPeerAuthentications.isEmpty()) {
            authorizations.put(peerAuthentications.staticStrictKey(), peerAuthentications.staticStrict());
        }
        for (PeerAuthentication policy : allPeerAuthentications) {
            peerAuthentications
                    .convert(policy, allPeerAuthentications)
                    .ifPresent(a -> authorizations.put(a.getNamespace() + "/" + a.getName(), a));
        }

        for (ConfigResource resource : snapshot.all(ResourceKind.SERVICE)) {
            Service kubeService = resource.as(Service.class);
            var service = services.translate(
                    kubeService,
                    snapshot.namespace(kubeService.getMetadata().getNamespace()),
                    waypoints,
                    warnTo(resource, warnings));
            addresses.put(
                    service.getNamespace() + "/" + service.getHostname(),
                    Address.newBuilder().setService(service).build());
        }

        ServiceEntryAddresses entryAddresses = ServiceEntryAddresses.of(snapshot, settings);
        for (ConfigResource resource : snapshot.all(ResourceKind.SERVICE_ENTRY)) {
            addresses.putAll(serviceEntries.translate(
                    resource,
                    snapshot.namespace(resource.key().namespace()),
                    waypoints,
                    entryAddresses,
                    warnTo(resource, warnings)));
        }

        TranslationContext context =
                new TranslationContext(snapshot, settings, waypoints, selectorPolicies, peerAuthentications);
        for (ConfigResource resource : snapshot.all(ResourceKind.WORKLOAD_ENTRY)) {
            workloadEntries
                    .translate(resource, context, warnTo(resource, warnings))
                    .ifPresent(a -> addresses.put(a.getWorkload().getUid(), a));
        }
        Map<ResourceKey, ConfigResource> nonPods = nonPodResources(snapshot);
        boolean sameContext = sameObjects(nonPods, lastContext);
        Map<ConfigResource, PodOutput> pods = new IdentityHashMap<>();
        for (ConfigResource resource : snapshot.all(ResourceKind.POD)) {
            PodOutput output = sameContext ? lastPods.get(resource) : null;
            if (output == null) {
                List<String> raised = new ArrayList<>();
                Optional<Address> address = workloads
                        .translate(resource.as(Pod.class), context, raised::add)
                        .map(w -> Address.newBuilder().setWorkload(w).build());
                output = new PodOutput(address, List.copyOf(raised));
            }
            pods.put(resource, output);
            output.warnings().forEach(message -> warnings.add(new TranslationWarning(resource.key(), message)));
            output.address().ifPresent(a -> addresses.put(a.getWorkload().getUid(), a));
        }
        lastContext = nonPods;
        lastPods = pods;
        EnvoyTranslation proxies = envoy.translate(snapshot, waypoints, entryAddresses);
        warnings.addAll(proxies.warnings());
        UnappliedKinds.report(snapshot, warnings);
        return new AmbientTranslation(new TreeMap<>(addresses), new TreeMap<>(authorizations), proxies, warnings);
    }

    private static Map<ResourceKey, ConfigResource> nonPodResources(ConfigSnapshot snapshot) {
        Map<ResourceKey, ConfigResource> nonPods = new HashMap<>();
        snapshot.resources().forEach((key, resource) -> {
            if (key.kind() != ResourceKind.POD) {
                nonPods.put(key, resource);
            }
        });
        return nonPods;
    }

    /** The same keys with the very same resource objects (an unchanged resource keeps its object). */
    private static boolean sameObjects(Map<ResourceKey, ConfigResource> a, Map<ResourceKey, ConfigResource> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (var entry : a.entrySet()) {
            if (b.get(entry.getKey()) != entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static Consumer<String> warnTo(ConfigResource resource, List<TranslationWarning> warnings) {
        return message -> warnings.add(new TranslationWarning(resource.key(), message));
    }
}
