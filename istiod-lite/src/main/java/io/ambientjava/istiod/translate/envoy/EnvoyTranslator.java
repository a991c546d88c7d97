package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.translate.ServiceEntryAddresses;
import io.ambientjava.istiod.translate.WaypointIndex;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Translates a config snapshot into the Envoy resources of every waypoint and ingress gateway (the contract is
 * docs/waypoint-xds.md): VirtualServices, DestinationRules, Istio Gateways and Gateway API Gateways with their
 * HTTPRoutes, then the EnvoyFilters (local rate limiting) on top. Each proxy's resources are computed from the
 * whole snapshot but are deterministic, so the xDS layer sends a proxy only the resources whose content changed.
 * Stateless and thread-safe.
 */
public final class EnvoyTranslator {

    private final MeshSettings settings;
    private final io.ambientjava.istiod.translate.MeshTelemetry telemetry;

    public EnvoyTranslator(MeshSettings settings) {
        this(settings, io.ambientjava.istiod.translate.MeshTelemetry.defaults());
    }

    /** With the mesh config's telemetry providers and defaults, which Telemetry resources refer to. */
    public EnvoyTranslator(MeshSettings settings, io.ambientjava.istiod.translate.MeshTelemetry telemetry) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    public EnvoyTranslation translate(ConfigSnapshot snapshot) {
        return translate(snapshot, new WaypointIndex(snapshot, settings), ServiceEntryAddresses.of(snapshot, settings));
    }

    /** With the waypoints and ServiceEntry addresses the workload translation of the same snapshot found. */
    public EnvoyTranslation translate(
            ConfigSnapshot snapshot, WaypointIndex waypoints, ServiceEntryAddresses entryAddresses) {
        boolean anyGateway = !snapshot.all(ResourceKind.ISTIO_GATEWAY).isEmpty()
                || snapshot.gateways().stream()
                        .anyMatch(g -> g.getSpec() != null
                                && !WaypointIndex.WAYPOINT_CLASS.equals(
                                        g.getSpec().getGatewayClassName()));
        if (waypoints.all().isEmpty() && !anyGateway) {
            return EnvoyTranslation.empty(); // no Envoy-configured proxy: nothing to compute (or to warn about)
        }
        TranslationScope scope = new TranslationScope(snapshot, settings, entryAddresses);
        SortedMap<ProxyId, ProxyResources> proxies = new TreeMap<>();
        WaypointTranslator waypointTranslator = new WaypointTranslator(scope);
        for (WaypointIndex.Waypoint waypoint : waypoints.all()) {
            proxies.put(
                    ProxyId.waypoint(waypoint.namespace(), waypoint.name()),
                    waypointTranslator.translate(waypoints, waypoint));
        }
        waypointTranslator.reportUnappliedPolicies();
        IstioGatewayTranslator istioGateways = new IstioGatewayTranslator(scope);
        // Istio Gateways with the same selector run on the same pods: one proxy, known by each of their names.
        Map<Map<String, String>, List<ConfigResource>> bySelector = new LinkedHashMap<>();
        for (ConfigResource resource : snapshot.all(ResourceKind.ISTIO_GATEWAY)) {
            var spec = resource.as(io.fabric8.istio.api.networking.v1.Gateway.class)
                    .getSpec();
            Map<String, String> selector = spec == null || spec.getSelector() == null ? Map.of() : spec.getSelector();
            bySelector
                    .computeIfAbsent(new TreeMap<>(selector), s -> new ArrayList<>())
                    .add(resource);
        }
        for (List<ConfigResource> group : bySelector.values()) {
            ProxyResources resources = istioGateways.translate(group);
            for (ConfigResource resource : group) {
                ProxyId id = ProxyId.gateway(
                        resource.key().namespace(), resource.key().name());
                proxies.merge(id, resources, ProxyResources::plus);
            }
        }
        GatewayApiTranslator gatewayApi = new GatewayApiTranslator(scope);
        for (Gateway gateway : snapshot.gateways()) {
            if (gateway.getSpec() == null
                    || WaypointIndex.WAYPOINT_CLASS.equals(gateway.getSpec().getGatewayClassName())) {
                continue;
            }
            ProxyId id = ProxyId.gateway(
                    gateway.getMetadata().getNamespace(), gateway.getMetadata().getName());
            proxies.merge(id, gatewayApi.translate(gateway), ProxyResources::plus);
        }
        TelemetryPatcher telemetryPatcher = new TelemetryPatcher(scope, telemetry);
        if (!telemetryPatcher.isEmpty()) {
            proxies.replaceAll(telemetryPatcher::apply); // before EnvoyFilters, which patch the final config
        }
        EnvoyFilterPatcher envoyFilters = new EnvoyFilterPatcher(scope);
        if (!envoyFilters.isEmpty()) {
            proxies.replaceAll(envoyFilters::apply);
            envoyFilters.reportUnapplied();
        }
        return new EnvoyTranslation(proxies, new ArrayList<>(scope.warnings()));
    }
}
