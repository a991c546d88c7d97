package io.ambientjava.istiod.translate;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What translating one workload needs from the rest of a snapshot, indexed once per snapshot. */
final class TranslationContext {

    /** A converted AuthorizationPolicy with a workload selector, for matching against pod labels. */
    record SelectorPolicy(String namespace, String name, Map<String, String> matchLabels) {
        String key() {
            return namespace + "/" + name;
        }
    }

    private final ConfigSnapshot snapshot;
    private final MeshSettings settings;
    private final WaypointIndex waypoints;
    private final Map<String, List<Service>> servicesByNamespace = new HashMap<>();
    private final List<SelectorPolicy> selectorPolicies;
    private final List<PeerAuthentication> peerAuthentications;
    private final PeerAuthenticationTranslator peerAuthenticationTranslator;

    TranslationContext(
            ConfigSnapshot snapshot,
            MeshSettings settings,
            WaypointIndex waypoints,
            List<SelectorPolicy> selectorPolicies,
            PeerAuthenticationTranslator peerAuthenticationTranslator) {
        this.snapshot = snapshot;
        this.settings = settings;
        this.waypoints = waypoints;
        this.selectorPolicies = List.copyOf(selectorPolicies);
        this.peerAuthentications = snapshot.peerAuthentications();
        this.peerAuthenticationTranslator = peerAuthenticationTranslator;
        for (Service service : snapshot.services()) {
            if (service.getSpec() != null) {
                servicesByNamespace
                        .computeIfAbsent(service.getMetadata().getNamespace(), n -> new ArrayList<>())
                        .add(service);
            }
        }
    }

    ConfigSnapshot snapshot() {
        return snapshot;
    }

    WaypointIndex waypoints() {
        return waypoints;
    }

    List<Service> servicesIn(String namespace) {
        return servicesByNamespace.getOrDefault(namespace, List.of());
    }

    /**
     * The policies a workload lists, as istiod orders them: selector-based AuthorizationPolicies of its namespace
     * and of the root namespace that select it (sorted), then the policies its peer authentication needs.
     */
    List<String> policyKeysFor(String namespace, Map<String, String> labels) {
        List<String> keys = new ArrayList<>();
        selectorPolicies.stream()
                .filter(p -> p.namespace().equals(namespace) || p.namespace().equals(settings.rootNamespace()))
                .filter(p -> LabelSelector.selects(p.matchLabels(), labels))
                .map(SelectorPolicy::key)
                .sorted()
                .forEach(keys::add);
        if (!peerAuthentications.isEmpty()) {
            keys.addAll(peerAuthenticationTranslator.policyKeysFor(namespace, labels, peerAuthentications));
        }
        return keys;
    }
}
