package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyBytes;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyString;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPDirectResponse;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMirrorPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectPort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.Headers;
import io.fabric8.istio.api.networking.v1.VirtualService;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The HTTP routes of one VirtualService as Envoy routes, for one route table (a port of a waypoint, or a gateway
 * port). Each {@code http} entry becomes one Envoy route per match (one catch-all route when it has none), in order.
 * The entry's action: {@code redirect} → {@code Route.redirect}; {@code directResponse} →
 * {@code Route.direct_response}; otherwise {@code route} destinations → one cluster, or {@code weighted_clusters}
 * with the written weights (relative, as Istio reads them since 1.15; weight-0 destinations dropped), plus
 * {@code timeout} (0s, i.e. none, when unset, as Istio), {@code retries}, {@code mirror}/{@code mirrors},
 * {@code rewrite}, consistent-hash {@code hash_policy} from the destination's DestinationRule; {@code fault} →
 * per-filter config; {@code headers} → header options on the route (and on each weighted cluster for a
 * destination's own {@code headers}).
 */
final class VirtualServiceRoutes {

    static final Duration NO_TIMEOUT = Duration.getDefaultInstance();

    private VirtualServiceRoutes() {}

    static List<Route> translate(
            VirtualService service, RouteMatches.Scope scope, ClusterSet clusters, Consumer<String> warn) {
        List<Route> routes = new ArrayList<>();
        var spec = service.getSpec();
        if (spec == null || spec.getHttp() == null) {
            return routes;
        }
        String namespace = service.getMetadata().getNamespace();
        List<HTTPRoute> http = spec.getHttp();
        for (int i = 0; i < http.size(); i++) {
            HTTPRoute entry = http.get(i);
            String name = entry.getName() != null && !entry.getName().isEmpty()
                    ? entry.getName()
                    : namespace + "/" + service.getMetadata().getName() + "#" + i;
            List<RouteMatch> matches = new ArrayList<>();
            if (entry.getMatch() == null || entry.getMatch().isEmpty()) {
                matches.add(RouteMatch.newBuilder().setPrefix("/").build());
            } else {
                for (HTTPMatchRequest match : entry.getMatch()) {
                    RouteMatches.of(match, scope, warn).ifPresent(matches::add);
                }
            }
            if (matches.isEmpty()) {
                continue;
            }
            Route template;
            try {
                template = route(entry, name, namespace, scope, clusters, warn);
            } catch (IllegalArgumentException e) {
                warn.accept("http[" + name + "] cannot be translated (" + e.getMessage() + "); route left out");
                continue;
            }
            for (RouteMatch match : matches) {
                routes.add(template.toBuilder().setMatch(match).build());
            }
        }
        return routes;
    }

    private static Route route(
            HTTPRoute entry,
            String name,
            String namespace,
            RouteMatches.Scope scope,
            ClusterSet clusters,
            Consumer<String> warn) {
        Route.Builder route = Route.newBuilder().setName(name);
        headers(route, entry.getHeaders());
        if (entry.getCorsPolicy() != null) {
            route.putTypedPerFilterConfig(
                    EnvoyNames.CORS_FILTER,
                    Any.pack(CorsTranslator.translate(
                            entry.getCorsPolicy(), w -> warn.accept("http[" + name + "]." + w))));
        }
        FaultTranslator.translate(entry.getFault(), warn)
                .ifPresent(f -> route.putTypedPerFilterConfig(EnvoyNames.FAULT_FILTER, Any.pack(f)));
        if (entry.getRedirect() != null) {
            return route.setRedirect(redirect(entry.getRedirect(), warn)).build();
        }
        if (entry.getDirectResponse() != null) {
            return route.setDirectResponse(directResponse(entry.getDirectResponse()))
                    .build();
        }
        if (entry.getRoute() == null || entry.getRoute().isEmpty()) {
            warn.accept("http[" + name + "] has neither route, redirect nor directResponse; it answers 404");
            return route.setDirectResponse(DirectResponseAction.newBuilder().setStatus(404))
                    .build();
        }
        RouteAction.Builder action = RouteAction.newBuilder();
        destinations(action, route, entry.getRoute(), namespace, scope, clusters, warn);
        action.setTimeout(
                entry.getTimeout() == null
                        ? NO_TIMEOUT
                        : IstioDurations.parse(entry.getTimeout()).orElse(NO_TIMEOUT));
        RetryPolicies.translate(entry.getRetries()).ifPresent(action::setRetryPolicy);
        mirrors(action, entry, namespace, scope, clusters, warn);
        rewrite(action, entry, warn);
        return route.setRoute(action).build();
    }

    private static void destinations(
            RouteAction.Builder action,
            Route.Builder route,
            List<HTTPRouteDestination> destinations,
            String namespace,
            RouteMatches.Scope scope,
            ClusterSet clusters,
            Consumer<String> warn) {
        List<HTTPRouteDestination> weighted = destinations.size() == 1
                ? destinations
                : destinations.stream()
                        .filter(d -> d.getWeight() != null && d.getWeight() > 0)
                        .toList();
        if (weighted.isEmpty()) {
            warn.accept("every destination has weight 0; the first one gets all traffic");
            weighted = List.of(destinations.getFirst());
        }
        Set<Optional<RouteAction.HashPolicy>> hashes = new LinkedHashSet<>();
        WeightedCluster.Builder split = WeightedCluster.newBuilder();
        for (HTTPRouteDestination destination : weighted) {
            Destination target = destination.getDestination();
            String host = clusters.resolve(target.getHost(), namespace);
            Integer port = target.getPort() == null || target.getPort().getNumber() == null
                    ? null
                    : target.getPort().getNumber().intValue();
            String cluster = clusters.reference(host, port, target.getSubset(), scope.port(), warn);
            int clusterPort = Integer.parseInt(cluster.split("\\|")[1]);
            hashes.add(HashPolicies.of(clusters.policy(host, clusterPort, target.getSubset())));
            WeightedCluster.ClusterWeight.Builder entry = WeightedCluster.ClusterWeight.newBuilder()
                    .setName(cluster)
                    .setWeight(UInt32Value.of(
                            destination.getWeight() == null || weighted.size() == 1 ? 100 : destination.getWeight()));
            Headers own = destination.getHeaders();
            if (own != null) {
                var request = HeaderOperations.of(own.getRequest());
                var response = HeaderOperations.of(own.getResponse());
                entry.addAllRequestHeadersToAdd(request.add())
                        .addAllRequestHeadersToRemove(request.remove())
                        .addAllResponseHeadersToAdd(response.add())
                        .addAllResponseHeadersToRemove(response.remove());
            }
            split.addClusters(entry);
        }
        WeightedClusters.sendTo(route, action, split);
        if (hashes.size() == 1) {
            hashes.iterator().next().ifPresent(action::addHashPolicy);
        } else {
            warn.accept("destinations of one route use different consistent-hash keys; no hash policy applied");
        }
    }

    private static void mirrors(
            RouteAction.Builder action,
            HTTPRoute entry,
            String namespace,
            RouteMatches.Scope scope,
            ClusterSet clusters,
            Consumer<String> warn) {
        if (entry.getMirror() != null) {
            FractionalPercent percent = entry.getMirrorPercentage() != null
                    ? Percentages.of(entry.getMirrorPercentage())
                    : entry.getMirrorPercent() != null
                            ? Percentages.ofInteger(entry.getMirrorPercent())
                            : Percentages.all();
            action.addRequestMirrorPolicies(mirror(entry.getMirror(), percent, namespace, scope, clusters, warn));
        }
        for (HTTPMirrorPolicy policy : MeshServices.listOrEmpty(entry.getMirrors())) {
            if (policy.getDestination() == null) {
                continue;
            }
            FractionalPercent percent =
                    policy.getPercentage() == null ? Percentages.all() : Percentages.of(policy.getPercentage());
            action.addRequestMirrorPolicies(mirror(policy.getDestination(), percent, namespace, scope, clusters, warn));
        }
    }

    private static RouteAction.RequestMirrorPolicy mirror(
            Destination target,
            FractionalPercent percent,
            String namespace,
            RouteMatches.Scope scope,
            ClusterSet clusters,
            Consumer<String> warn) {
        String host = clusters.resolve(target.getHost(), namespace);
        Integer port = target.getPort() == null || target.getPort().getNumber() == null
                ? null
                : target.getPort().getNumber().intValue();
        return RouteAction.RequestMirrorPolicy.newBuilder()
                .setCluster(clusters.reference(host, port, target.getSubset(), scope.port(), warn))
                .setRuntimeFraction(Percentages.runtime(percent))
                .build();
    }

    private static void rewrite(RouteAction.Builder action, HTTPRoute entry, Consumer<String> warn) {
        var rewrite = entry.getRewrite();
        if (rewrite == null) {
            return;
        }
        if (rewrite.getUri() != null && !rewrite.getUri().isEmpty()) {
            action.setPrefixRewrite(rewrite.getUri());
        }
        if (rewrite.getUriRegexRewrite() != null && rewrite.getUriRegexRewrite().getMatch() != null) {
            if (action.getPrefixRewrite().isEmpty()) {
                action.setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
                        .setPattern(StringMatchers.regex(
                                rewrite.getUriRegexRewrite().getMatch()))
                        .setSubstitution(
                                rewrite.getUriRegexRewrite().getRewrite() == null
                                        ? ""
                                        : rewrite.getUriRegexRewrite().getRewrite()));
            } else {
                warn.accept("rewrite.uri and rewrite.uriRegexRewrite are exclusive; uriRegexRewrite ignored");
            }
        }
        if (rewrite.getAuthority() != null && !rewrite.getAuthority().isEmpty()) {
            action.setHostRewriteLiteral(rewrite.getAuthority());
        }
    }

    static RedirectAction redirect(HTTPRedirect redirect, Consumer<String> warn) {
        RedirectAction.Builder out = RedirectAction.newBuilder();
        if (redirect.getUri() != null && !redirect.getUri().isEmpty()) {
            out.setPathRedirect(redirect.getUri());
        }
        if (redirect.getAuthority() != null && !redirect.getAuthority().isEmpty()) {
            out.setHostRedirect(redirect.getAuthority());
        }
        if (redirect.getScheme() != null && !redirect.getScheme().isEmpty()) {
            out.setSchemeRedirect(redirect.getScheme());
        }
        if (redirect.getRedirectPort() instanceof HTTPRedirectPort port && port.getPort() != null) {
            out.setPortRedirect(port.getPort().intValue());
        } else if (redirect.getRedirectPort() != null) {
            warn.accept("redirect.derivePort is not supported; the port is left as requested");
        }
        out.setResponseCode(redirectCode(
                redirect.getRedirectCode() == null
                        ? 301
                        : redirect.getRedirectCode().intValue(),
                warn));
        return out.build();
    }

    static RedirectAction.RedirectResponseCode redirectCode(int code, Consumer<String> warn) {
        return switch (code) {
            case 301 -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
            case 302 -> RedirectAction.RedirectResponseCode.FOUND;
            case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
            case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
            case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
            default -> {
                warn.accept("redirect code " + code + " is not one of 301, 302, 303, 307, 308; 301 used");
                yield RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
            }
        };
    }

    private static DirectResponseAction directResponse(HTTPDirectResponse response) {
        DirectResponseAction.Builder out = DirectResponseAction.newBuilder()
                .setStatus(
                        response.getStatus() == null
                                ? 200
                                : response.getStatus().intValue());
        if (response.getBody() != null) {
            switch (response.getBody().getSpecifier()) {
                case HTTPBodyString text
                when text.getString() != null ->
                    out.setBody(DataSource.newBuilder().setInlineString(text.getString()));
                case HTTPBodyBytes bytes
                when bytes.getBytes() != null ->
                    out.setBody(DataSource.newBuilder()
                            .setInlineBytes(
                                    ByteString.copyFrom(Base64.getDecoder().decode(bytes.getBytes()))));
                case null, default -> {}
            }
        }
        return out.build();
    }

    private static void headers(Route.Builder route, Headers headers) {
        if (headers == null) {
            return;
        }
        var request = HeaderOperations.of(headers.getRequest());
        var response = HeaderOperations.of(headers.getResponse());
        route.addAllRequestHeadersToAdd(request.add())
                .addAllRequestHeadersToRemove(request.remove())
                .addAllResponseHeadersToAdd(response.add())
                .addAllResponseHeadersToRemove(response.remove());
    }
}
