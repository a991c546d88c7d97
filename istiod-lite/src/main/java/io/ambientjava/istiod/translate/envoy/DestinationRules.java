package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.MeshSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The DestinationRule that applies to a host, as Istio picks it: one in the proxy's own namespace first, then in
 * the service's namespace, then in the root namespace. Several rules for the same host in one namespace are merged
 * the way Istio merges them: oldest first (then by name), subsets added when their name is new, and the top-level
 * traffic policy taken from the first rule that has one (a later rule's policy is ignored, with a warning).
 * Workload-selector rules do not apply to waypoints and gateways and are skipped.
 */
final class DestinationRules {

    /** The merged rule for one host. */
    record Effective(String hostname, TrafficPolicy trafficPolicy, Map<String, Subset> subsets, ResourceKey source) {
        Optional<Subset> subset(String name) {
            return Optional.ofNullable(subsets.get(name));
        }
    }

    private final MeshSettings settings;
    /** namespace → hostname (possibly a wildcard) → merged rule. */
    private final Map<String, Map<String, Effective>> byNamespace = new LinkedHashMap<>();

    DestinationRules(
            ConfigSnapshot snapshot,
            MeshServices services,
            MeshSettings settings,
            BiConsumer<ResourceKey, String> warn) {
        this.settings = settings;
        List<ConfigResource> rules = new ArrayList<>(snapshot.all(ResourceKind.DESTINATION_RULE));
        rules.sort(Comparator.comparing((ConfigResource r) -> {
                    String created = r.object().getMetadata().getCreationTimestamp();
                    return created == null ? "" : created;
                })
                .thenComparing(ConfigResource::key));
        for (ConfigResource resource : rules) {
            DestinationRule rule = resource.as(DestinationRule.class);
            var spec = rule.getSpec();
            if (spec == null || spec.getHost() == null) {
                continue;
            }
            if (spec.getWorkloadSelector() != null) {
                warn.accept(
                        resource.key(),
                        "workloadSelector rules apply to sidecars only; not used by waypoints" + " or gateways");
                continue;
            }
            String namespace = rule.getMetadata().getNamespace();
            String host = services.resolve(spec.getHost(), namespace);
            java.util.function.Consumer<String> reportTo = message -> warn.accept(resource.key(), message);
            UnappliedPolicyFields.report(spec.getTrafficPolicy(), "spec.trafficPolicy", reportTo);
            List<Subset> declared = MeshServices.listOrEmpty(spec.getSubsets());
            for (int i = 0; i < declared.size(); i++) {
                UnappliedPolicyFields.report(
                        declared.get(i).getTrafficPolicy(), "spec.subsets[" + i + "].trafficPolicy", reportTo);
            }
            Map<String, Effective> hosts = byNamespace.computeIfAbsent(namespace, n -> new LinkedHashMap<>());
            Effective existing = hosts.get(host);
            Map<String, Subset> subsets = new LinkedHashMap<>(existing == null ? Map.of() : existing.subsets());
            for (Subset subset : MeshServices.listOrEmpty(spec.getSubsets())) {
                if (subset.getName() == null) {
                    continue;
                }
                if (subsets.containsKey(subset.getName())) {
                    warn.accept(
                            resource.key(),
                            "subset '" + subset.getName() + "' of " + host
                                    + " is already defined by an older DestinationRule; this one is ignored");
                } else {
                    subsets.put(subset.getName(), subset);
                }
            }
            TrafficPolicy policy = existing == null ? null : existing.trafficPolicy();
            if (policy == null) {
                policy = spec.getTrafficPolicy();
            } else if (spec.getTrafficPolicy() != null) {
                warn.accept(
                        resource.key(),
                        "an older DestinationRule (" + existing.source().name() + ") already sets"
                                + " the traffic policy for " + host
                                + "; this rule's trafficPolicy is ignored (Istio merges"
                                + " only subsets)");
            }
            ResourceKey source = existing == null ? resource.key() : existing.source();
            hosts.put(host, new Effective(host, policy, Map.copyOf(subsets), source));
        }
    }

    /** The rule for a service host seen from a proxy in {@code proxyNamespace}. */
    Optional<Effective> forHost(String hostname, String serviceNamespace, String proxyNamespace) {
        for (String namespace : List.of(proxyNamespace, serviceNamespace, settings.rootNamespace())) {
            Optional<Effective> found = lookup(namespace, hostname);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private Optional<Effective> lookup(String namespace, String hostname) {
        Map<String, Effective> hosts = byNamespace.getOrDefault(namespace, Map.of());
        Effective exact = hosts.get(hostname);
        if (exact != null) {
            return Optional.of(exact);
        }
        // The most specific wildcard wins (*.ns.svc.cluster.local before *.cluster.local).
        return hosts.values().stream()
                .filter(e -> e.hostname().startsWith("*")
                        && hostname.endsWith(e.hostname().substring(1)))
                .max(Comparator.comparingInt(e -> e.hostname().length()));
    }
}
