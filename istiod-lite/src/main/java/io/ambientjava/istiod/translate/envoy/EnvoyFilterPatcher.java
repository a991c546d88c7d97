package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.envoyfilter.EnvoyFilterParser;
import io.ambientjava.istiod.config.envoyfilter.EnvoyFilterPatch;
import io.ambientjava.istiod.translate.LabelSelector;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.fabric8.istio.api.api.type.v1beta1.PolicyTargetReference;
import io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Applies the EnvoyFilters of a snapshot to the resources of each waypoint and ingress gateway, after everything
 * else is translated, as Istio applies them: those in the root namespace to every proxy, the others to proxies of
 * their namespace; narrowed by {@code workloadSelector} (labels of the proxy's pods) or {@code targetRefs} (its
 * Gateway); root namespace first, then by {@code priority}, age and name. Waypoints take {@code SIDECAR_INBOUND}
 * and {@code ANY} patches, ingress gateways {@code GATEWAY} and {@code ANY}. Only what {@link EnvoyFilterParser}
 * accepts is applied: the local_ratelimit filter into HTTP connection managers and its per-route config and
 * {@code rate_limits} into routes.
 */
final class EnvoyFilterPatcher {

    private static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
    private static final String ISTIO_GATEWAY_NAME_LABEL = "istio.io/gateway-name";

    private record Bound(ResourceKey key, EnvoyFilter resource, List<EnvoyFilterPatch> patches) {}

    private final TranslationScope scope;
    private final List<Bound> filters = new ArrayList<>();
    private final Set<ResourceKey> applied = new HashSet<>();

    EnvoyFilterPatcher(TranslationScope scope) {
        this.scope = scope;
        String root = scope.settings.rootNamespace();
        List<ConfigResource> resources = new ArrayList<>(scope.snapshot.all(ResourceKind.ENVOY_FILTER));
        resources.sort(
                Comparator.comparing((ConfigResource r) -> !r.key().namespace().equals(root))
                        .thenComparing(r -> priority(r.as(EnvoyFilter.class)))
                        .thenComparing(r -> {
                            String created = r.object().getMetadata().getCreationTimestamp();
                            return created == null ? "" : created;
                        })
                        .thenComparing(r -> r.key().namespace() + "/" + r.key().name()));
        for (ConfigResource resource : resources) {
            EnvoyFilter filter = resource.as(EnvoyFilter.class);
            EnvoyFilterParser.Parsed parsed = EnvoyFilterParser.parse(filter);
            if (parsed.refused()) {
                scope.warn(
                        resource.key(),
                        "refused (" + parsed.issues().getFirst().path() + ": "
                                + parsed.issues().getFirst().reason() + "); not applied");
                continue;
            }
            filters.add(new Bound(resource.key(), filter, parsed.patches()));
        }
    }

    boolean isEmpty() {
        return filters.isEmpty();
    }

    /** After every proxy: EnvoyFilters that reached none are reported. */
    void reportUnapplied() {
        for (Bound bound : filters) {
            if (!applied.contains(bound.key())) {
                scope.warn(bound.key(), "selects no waypoint or ingress gateway; not applied");
            }
        }
    }

    ProxyResources apply(ProxyId proxy, ProxyResources resources) {
        SortedMap<String, Listener> listeners = new TreeMap<>(resources.listeners());
        SortedMap<String, RouteConfiguration> routes = new TreeMap<>(resources.routes());
        List<Map<String, String>> labelSets = labelSets(proxy);
        for (Bound bound : filters) {
            if (!selects(bound, proxy, labelSets)) {
                continue;
            }
            applied.add(bound.key());
            boolean changed = false;
            for (EnvoyFilterPatch patch : bound.patches()) {
                if (!contextFits(patch.context(), proxy)) {
                    continue;
                }
                changed |= switch (patch) {
                    case EnvoyFilterPatch.HttpFilter f -> insertFilter(f, listeners, bound.key(), proxy);
                    case EnvoyFilterPatch.HttpRoute r -> mergeRoutes(r, routes, proxy);
                };
            }
            if (!changed) {
                scope.warn(bound.key(), "applies to " + proxy + " but none of its patches matched a listener or route");
            }
        }
        return new ProxyResources(listeners, routes, resources.clusters(), resources.endpoints());
    }

    private static int priority(EnvoyFilter filter) {
        return filter.getSpec() == null || filter.getSpec().getPriority() == null
                ? 0
                : filter.getSpec().getPriority();
    }

    private boolean selects(Bound bound, ProxyId proxy, List<Map<String, String>> labelSets) {
        String namespace = bound.key().namespace();
        if (!namespace.equals(scope.settings.rootNamespace()) && !namespace.equals(proxy.namespace())) {
            return false;
        }
        var spec = bound.resource().getSpec();
        List<PolicyTargetReference> refs = spec.getTargetRefs() == null ? List.of() : spec.getTargetRefs();
        if (!refs.isEmpty()) {
            return namespace.equals(proxy.namespace())
                    && refs.stream().anyMatch(ref -> proxy.name().equals(ref.getName()));
        }
        if (spec.getWorkloadSelector() == null
                || spec.getWorkloadSelector().getLabels() == null
                || spec.getWorkloadSelector().getLabels().isEmpty()) {
            return true;
        }
        Map<String, String> selector = spec.getWorkloadSelector().getLabels();
        return labelSets.stream().anyMatch(labels -> LabelSelector.selects(selector, labels));
    }

    /**
     * The labels a workload selector can see on this proxy: the Gateway API name labels Istio puts on the pods it
     * deploys for a Gateway, an Istio Gateway's selector (its pods carry at least those), and the labels of those
     * pods where the snapshot has them.
     */
    private List<Map<String, String>> labelSets(ProxyId proxy) {
        List<Map<String, String>> sets = new ArrayList<>();
        sets.add(Map.of(GATEWAY_NAME_LABEL, proxy.name(), ISTIO_GATEWAY_NAME_LABEL, proxy.name()));
        List<Map<String, String>> podSelectors = new ArrayList<>();
        podSelectors.add(Map.of(GATEWAY_NAME_LABEL, proxy.name()));
        if (proxy.type() == ProxyId.Type.GATEWAY) {
            scope.snapshot
                    .get(
                            ResourceKind.ISTIO_GATEWAY,
                            proxy.namespace(),
                            proxy.name(),
                            io.fabric8.istio.api.networking.v1.Gateway.class)
                    .map(g -> g.getSpec() == null ? null : g.getSpec().getSelector())
                    .filter(s -> !s.isEmpty())
                    .ifPresent(selector -> {
                        sets.add(selector);
                        podSelectors.add(selector);
                    });
        }
        for (Pod pod : scope.snapshot.pods()) {
            Map<String, String> labels = LabelSelector.labelsOf(pod);
            boolean gatewayNamePod = proxy.namespace().equals(pod.getMetadata().getNamespace())
                    && LabelSelector.selects(podSelectors.getFirst(), labels);
            boolean selectedPod = podSelectors.size() > 1 && LabelSelector.selects(podSelectors.get(1), labels);
            if (gatewayNamePod || selectedPod) {
                sets.add(labels);
            }
        }
        return sets;
    }

    private static boolean contextFits(EnvoyFilterPatch.Context context, ProxyId proxy) {
        return switch (context) {
            case ANY -> true;
            case SIDECAR_INBOUND -> proxy.type() == ProxyId.Type.WAYPOINT;
            case GATEWAY -> proxy.type() == ProxyId.Type.GATEWAY;
        };
    }

    private boolean insertFilter(
            EnvoyFilterPatch.HttpFilter patch, Map<String, Listener> listeners, ResourceKey key, ProxyId proxy) {
        boolean changed = false;
        for (Map.Entry<String, Listener> entry : listeners.entrySet()) {
            Listener listener = entry.getValue();
            if (patch.listenerName().isPresent() && !patch.listenerName().get().equals(listener.getName())) {
                continue;
            }
            if (patch.portNumber().isPresent()
                    && patch.portNumber().get()
                            != listener.getAddress().getSocketAddress().getPortValue()) {
                continue;
            }
            String name = patch.filter().getName();
            Listener patched = ConnectionManagers.patch(listener, manager -> {
                if (manager.getHttpFiltersList().stream()
                        .anyMatch(f -> f.getName().equals(name))) {
                    scope.warn(
                            key,
                            "listener " + listener.getName() + " of " + proxy + " already has " + name
                                    + " from an EnvoyFilter applied before this one; not inserted twice");
                    return manager;
                }
                return withFilter(manager, patch);
            });
            if (patched != listener) {
                entry.setValue(patched);
                changed = true;
            }
        }
        return changed;
    }

    /** The patch's filter inserted first, or before the router. */
    private static HttpConnectionManager withFilter(HttpConnectionManager manager, EnvoyFilterPatch.HttpFilter patch) {
        int at = 0;
        if (patch.beforeRouter()) {
            for (int i = 0; i < manager.getHttpFiltersCount(); i++) {
                if (manager.getHttpFilters(i).getName().equals(EnvoyNames.ROUTER_FILTER)) {
                    at = i;
                }
            }
        }
        var patched = manager.toBuilder().clearHttpFilters();
        for (int i = 0; i < manager.getHttpFiltersCount(); i++) {
            if (i == at) {
                patched.addHttpFilters(patch.filter());
            }
            patched.addHttpFilters(manager.getHttpFilters(i));
        }
        return patched.build();
    }

    private static boolean mergeRoutes(
            EnvoyFilterPatch.HttpRoute patch, Map<String, RouteConfiguration> routes, ProxyId proxy) {
        boolean changed = false;
        for (Map.Entry<String, RouteConfiguration> entry : routes.entrySet()) {
            RouteConfiguration table = entry.getValue();
            if (patch.routeConfigurationName().isPresent()
                    && !patch.routeConfigurationName().get().equals(table.getName())) {
                continue;
            }
            if (patch.portNumber().isPresent() && !portOf(table.getName()).equals(patch.portNumber())) {
                continue;
            }
            RouteConfiguration.Builder patched = table.toBuilder();
            boolean tableChanged = false;
            for (int v = 0; v < patched.getVirtualHostsCount(); v++) {
                VirtualHost.Builder vh = patched.getVirtualHostsBuilder(v);
                if (patch.virtualHostName().isPresent()
                        && !virtualHostFits(patch.virtualHostName().get(), vh.getName(), table.getName(), proxy)) {
                    continue;
                }
                for (int r = 0; r < vh.getRoutesCount(); r++) {
                    Route.Builder route = vh.getRoutesBuilder(r);
                    if (!routeFits(patch, route)) {
                        continue;
                    }
                    route.putAllTypedPerFilterConfig(patch.typedPerFilterConfig());
                    if (route.hasRoute()) {
                        route.getRouteBuilder().addAllRateLimits(patch.rateLimits());
                    }
                    tableChanged = true;
                }
            }
            if (tableChanged) {
                entry.setValue(patched.build());
                changed = true;
            }
        }
        return changed;
    }

    /**
     * A virtual host by name; on a waypoint also by the sidecar's inbound name {@code inbound|http|<port>} that
     * Istio's docs examples use, which then means every virtual host of the waypoint on that service port.
     */
    static boolean virtualHostFits(String wanted, String name, String tableName, ProxyId proxy) {
        if (wanted.equals(name)) {
            return true;
        }
        String sidecarInbound = "inbound|http|";
        if (proxy.type() == ProxyId.Type.WAYPOINT && wanted.startsWith(sidecarInbound)) {
            return portOf(tableName)
                    .map(String::valueOf)
                    .equals(Optional.of(wanted.substring(sidecarInbound.length())));
        }
        return false;
    }

    private static boolean routeFits(EnvoyFilterPatch.HttpRoute patch, Route.Builder route) {
        if (patch.routeName().isPresent() && !patch.routeName().get().equals(route.getName())) {
            return false;
        }
        return switch (patch.action()) {
            case ANY -> true;
            case ROUTE -> route.hasRoute();
            case REDIRECT -> route.hasRedirect();
            case DIRECT_RESPONSE -> route.hasDirectResponse();
        };
    }

    /** The port a route table serves: {@code <host>:<port>} (waypoints) or {@code http.<port>} (gateways). */
    static Optional<Integer> portOf(String routeName) {
        String digits;
        if (routeName.startsWith("http.")) {
            digits = routeName.substring("http.".length());
        } else {
            int colon = routeName.lastIndexOf(':');
            digits = colon < 0 ? "" : routeName.substring(colon + 1);
        }
        try {
            return Optional.of(Integer.parseInt(digits));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
