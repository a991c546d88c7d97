package io.ambientjava.istiod.translate;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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
    /**
     * Services with a selector by namespace and by one of their selector's label pairs ({@code key=value}), so a
     * pod is checked only against services that could select it: with thousands of pods and services the plain
     * pods × services scan dominated every translation.
     */
    private final Map<String, Map<String, List<Service>>> selectingServices = new HashMap<>();

    /** ServiceEntries with a {@code workloadSelector}: the hosts (and their ports) the pods they select serve. */
    private record SelectingEntry(
            String namespace, Map<String, String> selector, Map<String, io.ambientjava.api.workload.PortList> ports) {}

    private final List<SelectingEntry> selectingEntries = new ArrayList<>();

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
        for (var entry : snapshot.all(
                io.ambientjava.istiod.config.ResourceKind.SERVICE_ENTRY,
                io.fabric8.istio.api.networking.v1.ServiceEntry.class)) {
            var ports = ServiceEntryTranslator.portsFor(entry);
            if (!ports.isEmpty()) {
                Map<String, String> selector =
                        entry.getSpec().getWorkloadSelector().getLabels();
                selectingEntries.add(new SelectingEntry(
                        entry.getMetadata().getNamespace(), selector == null ? Map.of() : selector, ports));
            }
        }
        for (Service service : snapshot.services()) {
            if (service.getSpec() != null) {
                servicesByNamespace
                        .computeIfAbsent(service.getMetadata().getNamespace(), n -> new ArrayList<>())
                        .add(service);
                Map<String, String> selector = service.getSpec().getSelector();
                if (selector != null && !selector.isEmpty()) {
                    String firstKey = new TreeMap<>(selector).firstKey();
                    selectingServices
                            .computeIfAbsent(service.getMetadata().getNamespace(), n -> new HashMap<>())
                            .computeIfAbsent(labelPair(firstKey, selector.get(firstKey)), k -> new ArrayList<>())
                            .add(service);
                }
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

    /** The services of {@code namespace} whose (non-empty) selector selects {@code labels}, in snapshot order. */
    List<Service> servicesSelecting(String namespace, Map<String, String> labels) {
        Map<String, List<Service>> byPair = selectingServices.get(namespace);
        if (byPair == null || labels.isEmpty()) {
            return List.of();
        }
        Set<Service> matched = Collections.newSetFromMap(new IdentityHashMap<>());
        labels.forEach((key, value) -> {
            for (Service service : byPair.getOrDefault(labelPair(key, value), List.of())) {
                if (LabelSelector.selects(service.getSpec().getSelector(), labels)) {
                    matched.add(service);
                }
            }
        });
        if (matched.size() <= 1) {
            return List.copyOf(matched);
        }
        return servicesIn(namespace).stream().filter(matched::contains).toList();
    }

    /** The ServiceEntry hosts a pod with these labels serves, by {@code <namespace>/<host>}, with their ports. */
    Map<String, io.ambientjava.api.workload.PortList> serviceEntryPorts(String namespace, Map<String, String> labels) {
        Map<String, io.ambientjava.api.workload.PortList> out = new java.util.LinkedHashMap<>();
        for (SelectingEntry entry : selectingEntries) {
            if (entry.namespace().equals(namespace)
                    && !entry.selector().isEmpty()
                    && LabelSelector.selects(entry.selector(), labels)) {
                out.putAll(entry.ports());
            }
        }
        return out;
    }

    private static String labelPair(String key, String value) {
        return key + "=" + value;
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
