package io.ambientjava.istiod.config.envoyfilter;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ambientjava.istiod.config.yaml.FieldIssue;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterApplyTo;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectMatchListener;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectMatchRouteConfiguration;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectPatch;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterListenerMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterPatchFilterClass;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterPatchOperation;
import io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterRouteConfigurationMatch;
import io.fabric8.istio.api.api.type.v1beta1.PolicyTargetReference;
import io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads an EnvoyFilter into the patches istiod-lite applies — local rate limiting, written the way Istio's docs
 * write it — and refuses everything else with the unsupported part named (field path and reason): other
 * {@code applyTo} kinds, other operations, other filters, sidecar-outbound or proxy matches, and Envoy fields the
 * waypoint does not implement. Used by validation (files, the admission webhook, {@code meshctl analyze}) and by
 * the translation, so the two never disagree.
 */
public final class EnvoyFilterParser {

    public static final String LOCAL_RATE_LIMIT = "envoy.filters.http.local_ratelimit";
    static final String HCM = "envoy.filters.network.http_connection_manager";
    static final String ROUTER = "envoy.filters.http.router";
    static final String GATEWAY_API_GROUP = "gateway.networking.k8s.io";

    private EnvoyFilterParser() {}

    /** The accepted patches, or the issues that refuse the resource (any error refuses all of it). */
    public record Parsed(List<EnvoyFilterPatch> patches, List<FieldIssue> issues) {
        public Parsed {
            patches = List.copyOf(patches);
            issues = List.copyOf(issues);
        }

        public boolean refused() {
            return issues.stream().anyMatch(FieldIssue::error);
        }
    }

    public static Parsed parse(EnvoyFilter resource) {
        List<FieldIssue> issues = new ArrayList<>();
        List<EnvoyFilterPatch> patches = new ArrayList<>();
        var spec = resource.getSpec();
        if (spec == null
                || spec.getConfigPatches() == null
                || spec.getConfigPatches().isEmpty()) {
            issues.add(FieldIssue.warning("spec.configPatches", "no patches: this EnvoyFilter changes nothing"));
            return new Parsed(patches, issues);
        }
        checkTargets(resource, issues);
        for (int i = 0; i < spec.getConfigPatches().size(); i++) {
            String path = "spec.configPatches[" + i + "]";
            EnvoyFilterEnvoyConfigObjectPatch patch = spec.getConfigPatches().get(i);
            int before = issues.size();
            Optional<EnvoyFilterPatch> parsed = patch(patch, path, issues);
            if (issues.subList(before, issues.size()).stream().noneMatch(FieldIssue::error)) {
                parsed.ifPresent(patches::add);
            }
        }
        return new Parsed(patches, issues);
    }

    private static void checkTargets(EnvoyFilter resource, List<FieldIssue> issues) {
        var spec = resource.getSpec();
        List<PolicyTargetReference> refs = spec.getTargetRefs() == null ? List.of() : spec.getTargetRefs();
        if (!refs.isEmpty() && spec.getWorkloadSelector() != null) {
            issues.add(FieldIssue.error("spec.targetRefs", "workloadSelector and targetRefs are exclusive; set one"));
        }
        for (int i = 0; i < refs.size(); i++) {
            PolicyTargetReference ref = refs.get(i);
            String path = "spec.targetRefs[" + i + "]";
            if (!GATEWAY_API_GROUP.equals(ref.getGroup()) || !"Gateway".equals(ref.getKind())) {
                issues.add(FieldIssue.error(
                        path,
                        "only a Gateway (group gateway.networking.k8s.io, kind Gateway) can be targeted, got "
                                + ref.getGroup() + "/" + ref.getKind()));
            }
            if (ref.getName() == null || ref.getName().isEmpty()) {
                issues.add(FieldIssue.error(path + ".name", "required"));
            }
            if (ref.getNamespace() != null
                    && !ref.getNamespace().isEmpty()
                    && !ref.getNamespace().equals(resource.getMetadata().getNamespace())) {
                issues.add(FieldIssue.error(path + ".namespace", "must be the EnvoyFilter's own namespace"));
            }
        }
    }

    private static Optional<EnvoyFilterPatch> patch(
            EnvoyFilterEnvoyConfigObjectPatch patch, String path, List<FieldIssue> issues) {
        EnvoyFilterApplyTo applyTo = patch.getApplyTo();
        if (applyTo == null) {
            issues.add(FieldIssue.error(path + ".applyTo", "required"));
            return Optional.empty();
        }
        if (applyTo != EnvoyFilterApplyTo.HTTP_FILTER && applyTo != EnvoyFilterApplyTo.HTTP_ROUTE) {
            issues.add(FieldIssue.error(
                    path + ".applyTo",
                    applyTo + " is not supported (istiod-lite applies HTTP_FILTER with " + LOCAL_RATE_LIMIT
                            + " and HTTP_ROUTE MERGE of its per-route config)"));
            return Optional.empty();
        }
        EnvoyFilterEnvoyConfigObjectMatch match = patch.getMatch();
        EnvoyFilterPatch.Context context = context(match, path + ".match", issues);
        if (match != null && match.getProxy() != null) {
            issues.add(FieldIssue.error(path + ".match.proxy", "not supported (proxy version and metadata matches)"));
        }
        if (patch.getPatch() == null) {
            issues.add(FieldIssue.error(path + ".patch", "required"));
            return Optional.empty();
        }
        var filterClass = patch.getPatch().getFilterClass();
        if (filterClass != null && filterClass != EnvoyFilterPatchFilterClass.UNSPECIFIED) {
            issues.add(FieldIssue.error(path + ".patch.filterClass", filterClass + " is not supported"));
        }
        if (patch.getPatch().getValue() == null) {
            issues.add(FieldIssue.error(path + ".patch.value", "required"));
            return Optional.empty();
        }
        return applyTo == EnvoyFilterApplyTo.HTTP_FILTER
                ? httpFilter(match, context, patch, path, issues)
                : httpRoute(match, context, patch, path, issues);
    }

    private static EnvoyFilterPatch.Context context(
            EnvoyFilterEnvoyConfigObjectMatch match, String path, List<FieldIssue> issues) {
        if (match == null || match.getContext() == null) {
            return EnvoyFilterPatch.Context.ANY;
        }
        return switch (match.getContext()) {
            case ANY -> EnvoyFilterPatch.Context.ANY;
            case SIDECAR_INBOUND -> EnvoyFilterPatch.Context.SIDECAR_INBOUND;
            case GATEWAY -> EnvoyFilterPatch.Context.GATEWAY;
            case SIDECAR_OUTBOUND -> {
                issues.add(FieldIssue.error(
                        path + ".context",
                        "SIDECAR_OUTBOUND is not supported: ambient has no sidecars; waypoints take SIDECAR_INBOUND,"
                                + " ingress gateways GATEWAY"));
                yield EnvoyFilterPatch.Context.ANY;
            }
        };
    }

    private static Optional<EnvoyFilterPatch> httpFilter(
            EnvoyFilterEnvoyConfigObjectMatch match,
            EnvoyFilterPatch.Context context,
            EnvoyFilterEnvoyConfigObjectPatch patch,
            String path,
            List<FieldIssue> issues) {
        Optional<String> listenerName = Optional.empty();
        Optional<Integer> port = Optional.empty();
        boolean subFilterRouter = false;
        if (match != null && match.getObjectTypes() != null) {
            if (!(match.getObjectTypes() instanceof EnvoyFilterEnvoyConfigObjectMatchListener listenerMatch)) {
                issues.add(FieldIssue.error(
                        path + ".match", "an HTTP_FILTER patch matches a listener, not " + objectKind(match)));
                return Optional.empty();
            }
            EnvoyFilterListenerMatch listener = listenerMatch.getListener();
            String lpath = path + ".match.listener";
            if (listener != null) {
                listenerName = nonEmpty(listener.getName());
                port = port(listener.getPortNumber(), lpath + ".portNumber", issues);
                unsupported(listener.getPortName(), lpath + ".portName", issues);
                unsupported(listener.getListenerFilter(), lpath + ".listenerFilter", issues);
                var chain = listener.getFilterChain();
                if (chain != null) {
                    String cpath = lpath + ".filterChain";
                    unsupported(chain.getName(), cpath + ".name", issues);
                    unsupported(chain.getSni(), cpath + ".sni", issues);
                    unsupported(chain.getTransportProtocol(), cpath + ".transportProtocol", issues);
                    unsupported(chain.getApplicationProtocols(), cpath + ".applicationProtocols", issues);
                    if (chain.getDestinationPort() != null) {
                        issues.add(FieldIssue.error(cpath + ".destinationPort", "not supported"));
                    }
                    var filter = chain.getFilter();
                    if (filter != null) {
                        if (filter.getName() != null && !filter.getName().equals(HCM)) {
                            issues.add(FieldIssue.error(
                                    cpath + ".filter.name",
                                    "'" + filter.getName() + "' is not supported: HTTP filters live in " + HCM));
                        }
                        if (filter.getSubFilter() != null
                                && filter.getSubFilter().getName() != null) {
                            if (!filter.getSubFilter().getName().equals(ROUTER)) {
                                issues.add(FieldIssue.error(
                                        cpath + ".filter.subFilter.name",
                                        "'" + filter.getSubFilter().getName() + "' is not supported (only " + ROUTER
                                                + ")"));
                            }
                            subFilterRouter = true;
                        }
                    }
                }
            }
        }
        EnvoyFilterPatchOperation operation = patch.getPatch().getOperation();
        boolean beforeRouter;
        if (operation == EnvoyFilterPatchOperation.INSERT_BEFORE) {
            beforeRouter = subFilterRouter; // without a sub-filter Istio inserts first
        } else if (operation == EnvoyFilterPatchOperation.INSERT_FIRST) {
            beforeRouter = false;
        } else {
            issues.add(FieldIssue.error(
                    path + ".patch.operation",
                    (operation == null ? "unset" : operation.toString())
                            + " is not supported for HTTP_FILTER (INSERT_BEFORE, INSERT_FIRST)"));
            return Optional.empty();
        }
        String vpath = path + ".patch.value";
        JsonNode value = PatchValues.tree(patch.getPatch().getValue());
        if (!value.isObject()) {
            issues.add(FieldIssue.error(vpath, "must be an HTTP filter (name, typed_config)"));
            return Optional.empty();
        }
        onlyKeys(value, vpath, Set.of("name", "typed_config", "typedConfig"), issues);
        String name = value.path("name").asText("");
        if (!name.equals(LOCAL_RATE_LIMIT)) {
            issues.add(FieldIssue.error(
                    vpath + ".name", "'" + name + "' is not supported (only " + LOCAL_RATE_LIMIT + ")"));
            return Optional.empty();
        }
        JsonNode typed = value.has("typed_config") ? value.get("typed_config") : value.get("typedConfig");
        if (typed == null) {
            issues.add(FieldIssue.error(vpath + ".typed_config", "required"));
            return Optional.empty();
        }
        if (!PatchValues.typeOf(typed).equals(PatchValues.LOCAL_RATE_LIMIT_TYPE)) {
            issues.add(FieldIssue.error(
                    vpath + ".typed_config",
                    "type '" + PatchValues.typeOf(typed) + "' is not supported (only "
                            + PatchValues.LOCAL_RATE_LIMIT_TYPE + ", directly or in a TypedStruct)"));
            return Optional.empty();
        }
        HttpFilter filter;
        try {
            filter = PatchValues.read(value, HttpFilter.newBuilder()).build();
        } catch (PatchValues.BadValue e) {
            issues.add(FieldIssue.error(vpath, e.getMessage()));
            return Optional.empty();
        }
        LocalRateLimitSupport.check(unpack(filter.getTypedConfig()), vpath + ".typed_config", false, issues);
        return Optional.of(new EnvoyFilterPatch.HttpFilter(context, listenerName, port, beforeRouter, filter));
    }

    private static Optional<EnvoyFilterPatch> httpRoute(
            EnvoyFilterEnvoyConfigObjectMatch match,
            EnvoyFilterPatch.Context context,
            EnvoyFilterEnvoyConfigObjectPatch patch,
            String path,
            List<FieldIssue> issues) {
        Optional<String> routeConfig = Optional.empty();
        Optional<Integer> port = Optional.empty();
        Optional<String> vhost = Optional.empty();
        Optional<String> routeName = Optional.empty();
        EnvoyFilterPatch.RouteActionMatch action = EnvoyFilterPatch.RouteActionMatch.ANY;
        if (match != null && match.getObjectTypes() != null) {
            if (!(match.getObjectTypes() instanceof EnvoyFilterEnvoyConfigObjectMatchRouteConfiguration rcMatch)) {
                issues.add(FieldIssue.error(
                        path + ".match", "an HTTP_ROUTE patch matches a routeConfiguration, not " + objectKind(match)));
                return Optional.empty();
            }
            EnvoyFilterRouteConfigurationMatch rc = rcMatch.getRouteConfiguration();
            String rpath = path + ".match.routeConfiguration";
            if (rc != null) {
                routeConfig = nonEmpty(rc.getName());
                port = port(rc.getPortNumber(), rpath + ".portNumber", issues);
                unsupported(rc.getPortName(), rpath + ".portName", issues);
                unsupported(rc.getGateway(), rpath + ".gateway", issues);
                var vh = rc.getVhost();
                if (vh != null) {
                    vhost = nonEmpty(vh.getName());
                    unsupported(vh.getDomainName(), rpath + ".vhost.domainName", issues);
                    if (vh.getRoute() != null) {
                        routeName = nonEmpty(vh.getRoute().getName());
                        if (vh.getRoute().getAction() != null) {
                            action = EnvoyFilterPatch.RouteActionMatch.valueOf(
                                    vh.getRoute().getAction().name());
                        }
                    }
                }
            }
        }
        if (patch.getPatch().getOperation() != EnvoyFilterPatchOperation.MERGE) {
            issues.add(FieldIssue.error(
                    path + ".patch.operation",
                    patch.getPatch().getOperation() + " is not supported for HTTP_ROUTE (MERGE)"));
            return Optional.empty();
        }
        String vpath = path + ".patch.value";
        JsonNode value = PatchValues.tree(patch.getPatch().getValue());
        if (!value.isObject()) {
            issues.add(FieldIssue.error(vpath, "must be part of a route (typed_per_filter_config, route.rate_limits)"));
            return Optional.empty();
        }
        onlyKeys(value, vpath, Set.of("typed_per_filter_config", "typedPerFilterConfig", "route"), issues);
        if (value.has("route")) {
            onlyKeys(value.get("route"), vpath + ".route", Set.of("rate_limits", "rateLimits"), issues);
        }
        JsonNode perFilter = value.has("typed_per_filter_config")
                ? value.get("typed_per_filter_config")
                : value.get("typedPerFilterConfig");
        if (perFilter != null && perFilter.isObject()) {
            for (var entry : perFilter.properties()) {
                String fpath = vpath + ".typed_per_filter_config." + entry.getKey();
                if (!entry.getKey().equals(LOCAL_RATE_LIMIT)) {
                    issues.add(FieldIssue.error(fpath, "not supported (only " + LOCAL_RATE_LIMIT + ")"));
                } else if (!PatchValues.typeOf(entry.getValue()).equals(PatchValues.LOCAL_RATE_LIMIT_TYPE)) {
                    issues.add(FieldIssue.error(
                            fpath,
                            "type '" + PatchValues.typeOf(entry.getValue()) + "' is not supported (only "
                                    + PatchValues.LOCAL_RATE_LIMIT_TYPE + ")"));
                }
            }
        }
        if (issues.stream().anyMatch(FieldIssue::error)) {
            return Optional.empty();
        }
        Route route;
        try {
            route = PatchValues.read(value, Route.newBuilder()).build();
        } catch (PatchValues.BadValue e) {
            issues.add(FieldIssue.error(vpath, e.getMessage()));
            return Optional.empty();
        }
        Map<String, Any> perFilterConfig = new LinkedHashMap<>(route.getTypedPerFilterConfigMap());
        perFilterConfig.forEach((name, any) ->
                LocalRateLimitSupport.check(unpack(any), vpath + ".typed_per_filter_config." + name, true, issues));
        var rateLimits = route.getRoute().getRateLimitsList();
        for (int i = 0; i < rateLimits.size(); i++) {
            LocalRateLimitSupport.checkRateLimit(rateLimits.get(i), vpath + ".route.rate_limits[" + i + "]", issues);
        }
        if (perFilterConfig.isEmpty() && rateLimits.isEmpty()) {
            issues.add(FieldIssue.warning(vpath, "nothing to merge"));
        }
        return Optional.of(new EnvoyFilterPatch.HttpRoute(
                context, routeConfig, port, vhost, routeName, action, perFilterConfig, rateLimits));
    }

    private static LocalRateLimit unpack(Any any) {
        try {
            return any.unpack(LocalRateLimit.class);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("checked before: " + any.getTypeUrl(), e);
        }
    }

    private static String objectKind(EnvoyFilterEnvoyConfigObjectMatch match) {
        String simple = match.getObjectTypes().getClass().getSimpleName();
        return simple.replace("EnvoyFilterEnvoyConfigObjectMatch", "").toLowerCase(java.util.Locale.ROOT);
    }

    private static void onlyKeys(JsonNode node, String path, Set<String> allowed, List<FieldIssue> issues) {
        if (!node.isObject()) {
            return;
        }
        for (var field : node.properties()) {
            if (!allowed.contains(field.getKey())) {
                issues.add(FieldIssue.error(path + "." + field.getKey(), "not supported in this patch"));
            }
        }
    }

    private static Optional<Integer> port(Long number, String path, List<FieldIssue> issues) {
        if (number == null || number == 0) {
            return Optional.empty();
        }
        if (number < 0 || number > 65535) {
            issues.add(FieldIssue.error(path, "must be 1..65535"));
            return Optional.empty();
        }
        return Optional.of(number.intValue());
    }

    private static void unsupported(String value, String path, List<FieldIssue> issues) {
        if (value != null && !value.isEmpty()) {
            issues.add(FieldIssue.error(path, "not supported"));
        }
    }

    private static Optional<String> nonEmpty(String value) {
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
}
