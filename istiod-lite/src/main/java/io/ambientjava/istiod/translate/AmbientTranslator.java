package io.ambientjava.istiod.translate;

import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Scope;
import io.ambientjava.api.workload.Address;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.envoy.EnvoyTranslation;
import io.ambientjava.istiod.translate.envoy.EnvoyTranslator;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Translates a config snapshot into ztunnel's workload xDS resources, the way istiod's ambient index does, and
 * (through {@link EnvoyTranslator}) into the Envoy resources of every waypoint and gateway. Every
 * output resource is computed from its own input resource (one pod → one workload address, one Service → one
 * service address, one policy → one authorization), so a change to one input changes only the outputs that
 * depend on it; the xDS layer then sends only what differs. Stateless and thread-safe.
 */
public final class AmbientTranslator {

    private final MeshSettings settings;
    private final ServiceTranslator services;
    private final WorkloadTranslator workloads;
    private final AuthorizationPolicyTranslator authorizationPolicies;
    private final PeerAuthenticationTranslator peerAuthentications;
    private final EnvoyTranslator envoy;

    public AmbientTranslator(MeshSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.services = new ServiceTranslator(settings);
        this.workloads = new WorkloadTranslator(settings);
        this.authorizationPolicies = new AuthorizationPolicyTranslator(settings);
        this.peerAuthentications = new PeerAuthenticationTranslator(settings);
        this.envoy = new EnvoyTranslator(settings);
    }

    public MeshSettings settings() {
        return settings;
    }

    /** The workload UID istiod gives a pod: {@code <cluster>//Pod/<namespace>/<name>}. */
    public String workloadUid(String namespace, String name) {
        return workloads.uid(namespace, name);
    }

    public AmbientTranslation translate(ConfigSnapshot snapshot) {
        List<TranslationWarning> warnings = new ArrayList<>();
        Map<String, Authorization> authorizations = new TreeMap<>();
        Map<String, Address> addresses = new TreeMap<>();
        WaypointIndex waypoints = new WaypointIndex(snapshot, settings);

        List<TranslationContext.SelectorPolicy> selectorPolicies = new ArrayList<>();
        for (ConfigResource resource : snapshot.all(ResourceKind.AUTHORIZATION_POLICY)) {
            AuthorizationPolicy policy = resource.as(AuthorizationPolicy.class);
            authorizationPolicies.translate(policy, warnTo(resource, warnings)).ifPresent(a -> {
                authorizations.put(a.getNamespace() + "/" + a.getName(), a);
                if (a.getScope() == Scope.WORKLOAD_SELECTOR) {
                    Map<String, String> labels = policy.getSpec().getSelector().getMatchLabels();
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
            var service = services.translate(resource.as(Service.class), waypoints, warnTo(resource, warnings));
            addresses.put(
                    service.getNamespace() + "/" + service.getHostname(),
                    Address.newBuilder().setService(service).build());
        }

        TranslationContext context =
                new TranslationContext(snapshot, settings, waypoints, selectorPolicies, peerAuthentications);
        for (ConfigResource resource : snapshot.all(ResourceKind.POD)) {
            workloads
                    .translate(resource.as(Pod.class), context, warnTo(resource, warnings))
                    .ifPresent(w -> addresses.put(
                            w.getUid(), Address.newBuilder().setWorkload(w).build()));
        }
        EnvoyTranslation proxies = envoy.translate(snapshot, waypoints);
        warnings.addAll(proxies.warnings());
        return new AmbientTranslation(new TreeMap<>(addresses), new TreeMap<>(authorizations), proxies, warnings);
    }

    private static Consumer<String> warnTo(ConfigResource resource, List<TranslationWarning> warnings) {
        return message -> warnings.add(new TranslationWarning(resource.key(), message));
    }
}
