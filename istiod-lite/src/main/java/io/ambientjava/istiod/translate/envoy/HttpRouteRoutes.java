package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.UInt32Value;
import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeader;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPQueryParamMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Gateway API {@code HTTPRoute} rules as Envoy routes. Matches: {@code path} ({@code Exact} → {@code path},
 * {@code PathPrefix} → {@code path} plus {@code prefix} with a trailing slash, so {@code /foo} does not match
 * {@code /foobar},
 * {@code RegularExpression} → {@code safe_regex}; default {@code PathPrefix /}), {@code headers},
 * {@code queryParams}, {@code method}. Backends: Services by {@code name}/{@code namespace}/{@code port} with
 * {@code weight} (default 1). Filters: {@code RequestHeaderModifier}, {@code ResponseHeaderModifier},
 * {@code URLRewrite} (hostname, path), {@code RequestRedirect}, {@code RequestMirror}; others are reported.
 * A rule without backends (and without a redirect) answers 500, as the Gateway API specifies.
 */
final class HttpRouteRoutes {

    private HttpRouteRoutes() {}

    /** One Envoy route with the precedence the Gateway API gives its match. */
    private record Ranked(Route route, int pathKind, int pathLength, boolean method, int headers, int queries) {}

    /** Warnings go to {@code warnings.apply(route)}, so each is attributed to the HTTPRoute that caused it. */
    static List<Route> translate(
            List<HTTPRoute> httpRoutes,
            int port,
            ClusterSet clusters,
            io.ambientjava.istiod.config.ConfigSnapshot snapshot,
            java.util.function.Function<HTTPRoute, Consumer<String>> warnings) {
        List<Ranked> ranked = new ArrayList<>();
        for (HTTPRoute httpRoute : httpRoutes) {
            Consumer<String> warn = warnings.apply(httpRoute);
            String namespace = httpRoute.getMetadata().getNamespace();
            List<HTTPRouteRule> rules = MeshServices.listOrEmpty(
                    httpRoute.getSpec() == null ? null : httpRoute.getSpec().getRules());
            for (int i = 0; i < rules.size(); i++) {
                HTTPRouteRule rule = rules.get(i);
                String name = namespace + "/" + httpRoute.getMetadata().getName() + "#" + i;
                Route template;
                try {
                    template = route(rule, name, namespace, port, clusters, snapshot, warn);
                } catch (IllegalArgumentException e) {
                    warn.accept("rule " + i + " cannot be translated (" + e.getMessage() + "); left out");
                    continue;
                }
                List<HTTPRouteMatch> matches =
                        rule.getMatches() == null || rule.getMatches().isEmpty()
                                ? List.of(new HTTPRouteMatch())
                                : rule.getMatches();
                for (HTTPRouteMatch match : matches) {
                    for (RouteMatch envoyMatch : match(match, warn)) {
                        ranked.add(
                                rank(template.toBuilder().setMatch(envoyMatch).build(), match));
                    }
                }
            }
        }
        // Gateway API precedence: exact path, then longer prefix, then method, more headers, more query params;
        // ties keep route and rule order (the sort is stable).
        ranked.sort(Comparator.comparingInt((Ranked r) -> -r.pathKind())
                .thenComparingInt(r -> -r.pathLength())
                .thenComparing(r -> !r.method())
                .thenComparingInt(r -> -r.headers())
                .thenComparingInt(r -> -r.queries()));
        return ranked.stream().map(Ranked::route).toList();
    }

    private static Ranked rank(Route route, HTTPRouteMatch match) {
        String type = match.getPath() == null || match.getPath().getType() == null
                ? "PathPrefix"
                : match.getPath().getType();
        String value = match.getPath() == null || match.getPath().getValue() == null
                ? "/"
                : match.getPath().getValue();
        int kind = switch (type) {
            case "Exact" -> 2;
            case "RegularExpression" -> 0;
            default -> 1;
        };
        return new Ranked(
                route,
                kind,
                value.length(),
                match.getMethod() != null,
                MeshServices.listOrEmpty(match.getHeaders()).size(),
                MeshServices.listOrEmpty(match.getQueryParams()).size());
    }

    /**
     * One Envoy match, or two for a path prefix: Gateway API prefixes match whole path segments ({@code /foo}
     * matches {@code /foo} and {@code /foo/bar}, not {@code /foobar}), which is {@code path: /foo} or
     * {@code prefix: /foo/} (Envoy's {@code path_separated_prefix} says the same, but not every proxy reads it).
     */
    private static List<RouteMatch> match(HTTPRouteMatch match, Consumer<String> warn) {
        RouteMatch.Builder out = RouteMatch.newBuilder();
        String type = match.getPath() == null || match.getPath().getType() == null
                ? "PathPrefix"
                : match.getPath().getType();
        String value = match.getPath() == null || match.getPath().getValue() == null
                ? "/"
                : match.getPath().getValue();
        String segmentPrefix = null;
        switch (type) {
            case "Exact" -> out.setPath(value);
            case "RegularExpression" -> out.setSafeRegex(StringMatchers.regex(value));
            default -> {
                String trimmed =
                        value.length() > 1 && value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
                if (trimmed.equals("/")) {
                    out.setPrefix("/");
                } else {
                    out.setPath(trimmed);
                    segmentPrefix = trimmed + "/";
                }
            }
        }
        for (HTTPHeaderMatch header : MeshServices.listOrEmpty(match.getHeaders())) {
            out.addHeaders(HeaderMatcher.newBuilder()
                    .setName(header.getName().toLowerCase(Locale.ROOT))
                    .setStringMatch(stringMatch(header.getType(), header.getValue())));
        }
        for (HTTPQueryParamMatch query : MeshServices.listOrEmpty(match.getQueryParams())) {
            out.addQueryParameters(QueryParameterMatcher.newBuilder()
                    .setName(query.getName())
                    .setStringMatch(stringMatch(query.getType(), query.getValue())));
        }
        if (match.getMethod() != null) {
            out.addHeaders(StringMatchers.pseudoHeader(
                    ":method",
                    StringMatcher.newBuilder().setExact(match.getMethod()).build()));
        }
        RouteMatch built = out.build();
        if (segmentPrefix == null) {
            return List.of(built);
        }
        return List.of(built, built.toBuilder().setPrefix(segmentPrefix).build());
    }

    private static StringMatcher stringMatch(String type, String value) {
        return "RegularExpression".equals(type)
                ? StringMatcher.newBuilder()
                        .setSafeRegex(StringMatchers.regex(value))
                        .build()
                : StringMatcher.newBuilder().setExact(value).build();
    }

    private static Route route(
            HTTPRouteRule rule,
            String name,
            String namespace,
            int port,
            ClusterSet clusters,
            io.ambientjava.istiod.config.ConfigSnapshot snapshot,
            Consumer<String> warn) {
        Route.Builder route = Route.newBuilder().setName(name);
        RouteAction.Builder action = RouteAction.newBuilder().setTimeout(VirtualServiceRoutes.NO_TIMEOUT);
        RedirectAction redirect = null;
        for (HTTPRouteFilter filter : MeshServices.listOrEmpty(rule.getFilters())) {
            switch (filter.getType() == null ? "" : filter.getType()) {
                case "RequestHeaderModifier" -> {
                    HeaderOps ops = HeaderOps.of(filter.getRequestHeaderModifier());
                    route.addAllRequestHeadersToAdd(ops.add()).addAllRequestHeadersToRemove(ops.remove());
                }
                case "ResponseHeaderModifier" -> {
                    HeaderOps ops = HeaderOps.of(filter.getResponseHeaderModifier());
                    route.addAllResponseHeadersToAdd(ops.add()).addAllResponseHeadersToRemove(ops.remove());
                }
                case "URLRewrite" -> {
                    var rewrite = filter.getUrlRewrite();
                    if (rewrite != null && rewrite.getHostname() != null) {
                        action.setHostRewriteLiteral(rewrite.getHostname());
                    }
                    if (rewrite != null && rewrite.getPath() != null) {
                        var path = rewrite.getPath();
                        if ("ReplaceFullPath".equals(path.getType())) {
                            action.setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
                                    .setPattern(StringMatchers.regex("^/.*$"))
                                    .setSubstitution(path.getReplaceFullPath()));
                        } else if ("ReplacePrefixMatch".equals(path.getType())) {
                            action.setPrefixRewrite(path.getReplacePrefixMatch());
                        }
                    }
                }
                case "RequestRedirect" -> redirect = redirect(filter, warn);
                case "RequestMirror" -> {
                    var mirror = filter.getRequestMirror();
                    if (mirror != null
                            && mirror.getBackendRef() != null
                            && ReferenceGrants.mayReferenceService(
                                    snapshot,
                                    "HTTPRoute",
                                    namespace,
                                    mirror.getBackendRef().getNamespace(),
                                    mirror.getBackendRef().getName(),
                                    warn)) {
                        var ref = mirror.getBackendRef();
                        String host = serviceHost(clusters, ref.getName(), ref.getNamespace(), namespace);
                        action.addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder()
                                .setCluster(clusters.reference(host, ref.getPort(), null, port, warn))
                                .setRuntimeFraction(Percentages.runtime(
                                        mirror.getPercent() == null
                                                ? Percentages.all()
                                                : Percentages.ofInteger(mirror.getPercent()))));
                    }
                }
                default -> warn.accept("filter type '" + filter.getType() + "' is not supported; ignored");
            }
        }
        if (redirect != null) {
            return route.setRedirect(redirect).build();
        }
        List<HTTPBackendRef> backends = MeshServices.listOrEmpty(rule.getBackendRefs()).stream()
                .filter(b -> b.getWeight() == null || b.getWeight() > 0)
                .toList();
        if (backends.isEmpty()) {
            return route.setDirectResponse(DirectResponseAction.newBuilder().setStatus(500))
                    .build();
        }
        WeightedCluster.Builder split = WeightedCluster.newBuilder();
        for (HTTPBackendRef backend : backends) {
            if (backend.getKind() != null && !backend.getKind().equals("Service")) {
                warn.accept("backendRef kind '" + backend.getKind() + "' is not supported; only Service");
                continue;
            }
            if (!ReferenceGrants.mayReferenceService(
                    snapshot, "HTTPRoute", namespace, backend.getNamespace(), backend.getName(), warn)) {
                continue;
            }
            String host = serviceHost(clusters, backend.getName(), backend.getNamespace(), namespace);
            split.addClusters(WeightedCluster.ClusterWeight.newBuilder()
                    .setName(clusters.reference(host, backend.getPort(), null, port, warn))
                    .setWeight(UInt32Value.of(backend.getWeight() == null ? 1 : backend.getWeight())));
        }
        if (split.getClustersCount() == 0) {
            return route.setDirectResponse(DirectResponseAction.newBuilder().setStatus(500))
                    .build();
        }
        if (split.getClustersCount() == 1) {
            action.setCluster(split.getClusters(0).getName());
        } else {
            action.setWeightedClusters(split);
        }
        if (rule.getTimeouts() != null && rule.getTimeouts().getRequest() != null) {
            IstioDurations.parse(rule.getTimeouts().getRequest()).ifPresent(action::setTimeout);
        }
        return route.setRoute(action).build();
    }

    private static String serviceHost(ClusterSet clusters, String name, String refNamespace, String namespace) {
        return clusters.serviceHostname(
                name, refNamespace == null || refNamespace.isEmpty() ? namespace : refNamespace);
    }

    private static RedirectAction redirect(HTTPRouteFilter filter, Consumer<String> warn) {
        var redirect = filter.getRequestRedirect();
        RedirectAction.Builder out = RedirectAction.newBuilder();
        if (redirect == null) {
            return out.build();
        }
        if (redirect.getScheme() != null) {
            out.setSchemeRedirect(redirect.getScheme());
        }
        if (redirect.getHostname() != null) {
            out.setHostRedirect(redirect.getHostname());
        }
        if (redirect.getPort() != null) {
            out.setPortRedirect(redirect.getPort());
        }
        if (redirect.getPath() != null) {
            if ("ReplaceFullPath".equals(redirect.getPath().getType())) {
                out.setPathRedirect(redirect.getPath().getReplaceFullPath());
            } else if ("ReplacePrefixMatch".equals(redirect.getPath().getType())) {
                out.setPrefixRewrite(redirect.getPath().getReplacePrefixMatch());
            }
        }
        out.setResponseCode(VirtualServiceRoutes.redirectCode(
                redirect.getStatusCode() == null ? 302 : redirect.getStatusCode(), warn));
        return out.build();
    }

    /** A Gateway API header filter: {@code set} overwrites, {@code add} appends, {@code remove} removes. */
    private record HeaderOps(List<HeaderValueOption> add, List<String> remove) {
        static HeaderOps of(HTTPHeaderFilter filter) {
            if (filter == null) {
                return new HeaderOps(List.of(), List.of());
            }
            List<HeaderValueOption> add = new ArrayList<>();
            for (HTTPHeader header : MeshServices.listOrEmpty(filter.getSet())) {
                add.add(HeaderOperations.option(
                        header.getName(),
                        header.getValue(),
                        HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
            }
            for (HTTPHeader header : MeshServices.listOrEmpty(filter.getAdd())) {
                add.add(HeaderOperations.option(
                        header.getName(),
                        header.getValue(),
                        HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
            }
            return new HeaderOps(add, MeshServices.listOrEmpty(filter.getRemove()));
        }
    }
}
