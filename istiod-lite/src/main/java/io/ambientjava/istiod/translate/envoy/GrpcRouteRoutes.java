package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCMethodMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Gateway API {@code GRPCRoute} rules as Envoy routes. A gRPC call is an HTTP/2 POST to
 * {@code /<package.Service>/<Method>}, so a method match is a path match: {@code Exact} service and method →
 * {@code path}, service only → {@code prefix /<service>/}, method only or {@code RegularExpression} →
 * {@code safe_regex} over the path. {@code headers} match exactly or by regular expression. Filters:
 * {@code RequestHeaderModifier}, {@code ResponseHeaderModifier}, {@code RequestMirror}; others are reported. The
 * backends are Services as for an HTTPRoute; a rule without usable backends answers 500.
 */
final class GrpcRouteRoutes {

    private static final String ANY_SEGMENT = "[^/]+";

    private GrpcRouteRoutes() {}

    /** The routes of {@code grpcRoutes}, not yet in precedence order; warnings go to the route that caused them. */
    static List<RankedRoute> ranked(
            List<GRPCRoute> grpcRoutes,
            int port,
            ClusterSet clusters,
            ConfigSnapshot snapshot,
            Function<GRPCRoute, Consumer<String>> warnings) {
        return RankedRoute.ofRules(
                grpcRoutes,
                r -> MeshServices.listOrEmpty(
                        r.getSpec() == null ? null : r.getSpec().getRules()),
                "GRPCRoute",
                port,
                clusters,
                snapshot,
                warnings,
                GrpcRouteRoutes::routes);
    }

    private static List<RankedRoute> routes(
            GRPCRouteRule rule, String name, RouteBackends backends, Consumer<String> warn) {
        Route template = route(rule, name, backends, warn);
        List<GRPCRouteMatch> matches =
                rule.getMatches() == null || rule.getMatches().isEmpty()
                        ? List.of(new GRPCRouteMatch())
                        : rule.getMatches();
        List<RankedRoute> ranked = new ArrayList<>();
        for (GRPCRouteMatch match : matches) {
            ranked.add(rank(template.toBuilder().setMatch(match(match)).build(), match));
        }
        return ranked;
    }

    private static RankedRoute rank(Route route, GRPCRouteMatch match) {
        RouteMatch envoy = route.getMatch();
        if (match.getMethod() == null
                && MeshServices.listOrEmpty(match.getHeaders()).isEmpty()) {
            return new RankedRoute(route, RankedRoute.NO_MATCH, 0, false, 0, 0);
        }
        int kind = envoy.hasSafeRegex()
                ? RankedRoute.REGEX
                : envoy.getPath().isEmpty() ? RankedRoute.PREFIX : RankedRoute.EXACT;
        String path = switch (kind) {
            case RankedRoute.EXACT -> envoy.getPath();
            case RankedRoute.PREFIX -> envoy.getPrefix();
            default -> envoy.getSafeRegex().getRegex();
        };
        return new RankedRoute(
                route,
                kind,
                path.length(),
                false,
                MeshServices.listOrEmpty(match.getHeaders()).size(),
                0);
    }

    /** @throws IllegalArgumentException for a match the Gateway API does not allow (the CRD's own rules) */
    static RouteMatch match(GRPCRouteMatch match) {
        RouteMatch.Builder out = RouteMatch.newBuilder();
        GRPCMethodMatch method = match.getMethod();
        if (method == null) {
            out.setPrefix("/");
        } else {
            String service = blankToNull(method.getService());
            String name = blankToNull(method.getMethod());
            String type = method.getType() == null ? "Exact" : method.getType();
            switch (type) {
                case "Exact" -> {
                    if (service == null && name == null) {
                        throw new IllegalArgumentException("a method match names a service, a method or both");
                    }
                    checkExact(service, "service");
                    checkExact(name, "method");
                    if (service != null && name != null) {
                        out.setPath("/" + service + "/" + name);
                    } else if (service != null) {
                        out.setPrefix("/" + service + "/");
                    } else {
                        out.setSafeRegex(StringMatchers.regex("/" + ANY_SEGMENT + "/" + literal(name)));
                    }
                }
                case "RegularExpression" ->
                    out.setSafeRegex(StringMatchers.regex("/"
                            + (service == null ? ANY_SEGMENT : service) + "/"
                            + (name == null ? ANY_SEGMENT : name)));
                default ->
                    throw new IllegalArgumentException(
                            "method match type '" + type + "' is not Exact or RegularExpression");
            }
        }
        for (GRPCHeaderMatch header : MeshServices.listOrEmpty(match.getHeaders())) {
            if (header.getName() == null || header.getName().isBlank()) {
                throw new IllegalArgumentException("a header match without a name");
            }
            String type = header.getType() == null ? "Exact" : header.getType();
            if (!type.equals("Exact") && !type.equals("RegularExpression")) {
                throw new IllegalArgumentException(
                        "header match type '" + type + "' is not Exact or RegularExpression");
            }
            out.addHeaders(HeaderMatcher.newBuilder()
                    .setName(header.getName().toLowerCase(Locale.ROOT))
                    .setStringMatch(HttpRouteRoutes.stringMatch(type, header.getValue())));
        }
        return out.build();
    }

    /** The Gateway API's pattern for an exact service or method: no slash, which would change the path. */
    private static void checkExact(String value, String field) {
        if (value != null && value.indexOf('/') >= 0) {
            throw new IllegalArgumentException("an exact " + field + " contains '/': '" + value + "'");
        }
    }

    /** {@code text} as a regular expression that matches only itself (RE2 and Java read the escapes alike). */
    private static String literal(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isLetterOrDigit(c) && c != '_') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private static Route route(GRPCRouteRule rule, String name, RouteBackends backends, Consumer<String> warn) {
        Route.Builder route = Route.newBuilder().setName(name);
        RouteAction.Builder action = RouteAction.newBuilder().setTimeout(VirtualServiceRoutes.NO_TIMEOUT);
        for (GRPCRouteFilter filter : MeshServices.listOrEmpty(rule.getFilters())) {
            switch (filter.getType() == null ? "" : filter.getType()) {
                case "RequestHeaderModifier" ->
                    RouteBackends.HeaderOps.of(filter.getRequestHeaderModifier())
                            .toRequest(route);
                case "ResponseHeaderModifier" ->
                    RouteBackends.HeaderOps.of(filter.getResponseHeaderModifier())
                            .toResponse(route);
                case "RequestMirror" ->
                    backends.mirror(filter.getRequestMirror()).ifPresent(action::addRequestMirrorPolicies);
                default -> warn.accept("filter type '" + filter.getType() + "' is not supported; ignored");
            }
        }
        RetryPolicies.translate(null).ifPresent(action::setRetryPolicy); // Istio's default, as for an HTTPRoute
        if (rule.getSessionPersistence() != null) {
            warn.accept("sessionPersistence is not supported; ignored");
        }
        List<RouteBackends.Ref> refs = MeshServices.listOrEmpty(rule.getBackendRefs()).stream()
                .map(b -> RouteBackends.Ref.of(
                        b.getKind(),
                        b.getName(),
                        b.getNamespace(),
                        b.getPort(),
                        b.getWeight(),
                        MeshServices.listOrEmpty(b.getFilters()),
                        GRPCRouteFilter::getType,
                        GRPCRouteFilter::getRequestHeaderModifier,
                        GRPCRouteFilter::getResponseHeaderModifier))
                .toList();
        return backends.sendTo(route, action, refs).build();
    }
}
