package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRetry;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPQueryParamMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import java.util.ArrayList;
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
 * {@code URLRewrite} (hostname, path), {@code RequestRedirect}, {@code RequestMirror}; others are reported. A
 * backendRef's own {@code RequestHeaderModifier} and {@code ResponseHeaderModifier} apply to that backend only;
 * its other filter types are reported.
 * {@code timeouts} and {@code retry} as Istio converts them. A rule without backends (and without a redirect) answers
 * 500, as the Gateway API specifies.
 */
final class HttpRouteRoutes {

    private HttpRouteRoutes() {}

    /** Warnings go to {@code warnings.apply(route)}, so each is attributed to the HTTPRoute that caused it. */
    static List<Route> translate(
            List<HTTPRoute> httpRoutes,
            int port,
            ClusterSet clusters,
            io.ambientjava.istiod.config.ConfigSnapshot snapshot,
            java.util.function.Function<HTTPRoute, Consumer<String>> warnings) {
        return RankedRoute.inPrecedence(ranked(httpRoutes, port, clusters, snapshot, warnings));
    }

    /** The routes of {@code httpRoutes}, not yet in precedence order (to merge with a GRPCRoute's). */
    static List<RankedRoute> ranked(
            List<HTTPRoute> httpRoutes,
            int port,
            ClusterSet clusters,
            io.ambientjava.istiod.config.ConfigSnapshot snapshot,
            java.util.function.Function<HTTPRoute, Consumer<String>> warnings) {
        return RankedRoute.ofRules(
                httpRoutes,
                r -> MeshServices.listOrEmpty(
                        r.getSpec() == null ? null : r.getSpec().getRules()),
                "HTTPRoute",
                port,
                clusters,
                snapshot,
                warnings,
                HttpRouteRoutes::routes);
    }

    private static List<RankedRoute> routes(
            HTTPRouteRule rule, String name, RouteBackends backends, Consumer<String> warn) {
        Route template = route(rule, name, backends, warn);
        boolean anyMatch = rule.getMatches() != null && !rule.getMatches().isEmpty();
        List<RankedRoute> ranked = new ArrayList<>();
        for (HTTPRouteMatch match : anyMatch ? rule.getMatches() : List.of(new HTTPRouteMatch())) {
            for (RouteMatch envoyMatch : match(match, warn)) {
                Route route = template.toBuilder().setMatch(envoyMatch).build();
                ranked.add(
                        anyMatch ? rank(route, match) : new RankedRoute(route, RankedRoute.NO_MATCH, 0, false, 0, 0));
            }
        }
        return ranked;
    }

    private static RankedRoute rank(Route route, HTTPRouteMatch match) {
        String type = match.getPath() == null || match.getPath().getType() == null
                ? "PathPrefix"
                : match.getPath().getType();
        String value = match.getPath() == null || match.getPath().getValue() == null
                ? "/"
                : match.getPath().getValue();
        int kind = switch (type) {
            case "Exact" -> RankedRoute.EXACT;
            case "RegularExpression" -> RankedRoute.REGEX;
            default -> RankedRoute.PREFIX;
        };
        return new RankedRoute(
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

    static StringMatcher stringMatch(String type, String value) {
        return "RegularExpression".equals(type)
                ? StringMatcher.newBuilder()
                        .setSafeRegex(StringMatchers.regex(value))
                        .build()
                : StringMatcher.newBuilder().setExact(value).build();
    }

    private static Route route(HTTPRouteRule rule, String name, RouteBackends backends, Consumer<String> warn) {
        Route.Builder route = Route.newBuilder().setName(name);
        RouteAction.Builder action = RouteAction.newBuilder().setTimeout(VirtualServiceRoutes.NO_TIMEOUT);
        RedirectAction redirect = null;
        for (HTTPRouteFilter filter : MeshServices.listOrEmpty(rule.getFilters())) {
            switch (filter.getType() == null ? "" : filter.getType()) {
                case "RequestHeaderModifier" ->
                    RouteBackends.HeaderOps.of(filter.getRequestHeaderModifier())
                            .toRequest(route);
                case "ResponseHeaderModifier" ->
                    RouteBackends.HeaderOps.of(filter.getResponseHeaderModifier())
                            .toResponse(route);
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
                case "RequestMirror" ->
                    backends.mirror(filter.getRequestMirror()).ifPresent(action::addRequestMirrorPolicies);
                default -> warn.accept("filter type '" + filter.getType() + "' is not supported; ignored");
            }
        }
        if (redirect != null) {
            return route.setRedirect(redirect).build();
        }
        timeoutsAndRetries(rule, action);
        List<RouteBackends.Ref> refs = MeshServices.listOrEmpty(rule.getBackendRefs()).stream()
                .map(b -> RouteBackends.Ref.of(
                        b.getKind(),
                        b.getName(),
                        b.getNamespace(),
                        b.getPort(),
                        b.getWeight(),
                        MeshServices.listOrEmpty(b.getFilters()),
                        HTTPRouteFilter::getType,
                        HTTPRouteFilter::getRequestHeaderModifier,
                        HTTPRouteFilter::getResponseHeaderModifier))
                .toList();
        return backends.sendTo(route, action, refs).build();
    }

    /**
     * {@code timeouts} and {@code retry} as Istio converts them: {@code request} is the route's timeout;
     * {@code backendRequest} is each attempt's timeout when the rule retries, else the route's; {@code retry} retries
     * on connection failures, refused streams, {@code unavailable} and {@code cancelled} plus its {@code codes},
     * {@code attempts} times (default 2; 0: none) after {@code backoff}. A rule without {@code retry} gets Istio's
     * default retry policy, as a VirtualService route without {@code retries} does. A value that is not a duration
     * leaves the rule out, with a warning naming it.
     */
    private static void timeoutsAndRetries(HTTPRouteRule rule, RouteAction.Builder action) {
        var timeouts = rule.getTimeouts();
        String request = timeouts == null ? null : timeouts.getRequest();
        String backendRequest = timeouts == null ? null : timeouts.getBackendRequest();
        IstioDurations.parse(request).ifPresent(action::setTimeout);
        HTTPRetry retry = null;
        if (rule.getRetry() != null) {
            List<String> retryOn =
                    new ArrayList<>(List.of("connect-failure", "refused-stream", "unavailable", "cancelled"));
            MeshServices.listOrEmpty(rule.getRetry().getCodes()).forEach(code -> retryOn.add(Integer.toString(code)));
            retry = new HTTPRetry();
            retry.setAttempts(
                    rule.getRetry().getAttempts() == null ? 2 : rule.getRetry().getAttempts());
            retry.setRetryOn(String.join(",", retryOn));
            if (IstioDurations.parse(rule.getRetry().getBackoff()).isPresent()) {
                retry.setBackoff(rule.getRetry().getBackoff());
            }
        }
        var perAttempt = IstioDurations.parse(backendRequest);
        if (perAttempt.isPresent()) {
            if (retry != null) {
                retry.setPerTryTimeout(backendRequest);
            } else {
                action.setTimeout(perAttempt.get());
            }
        }
        RetryPolicies.translate(retry).ifPresent(action::setRetryPolicy);
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
}
