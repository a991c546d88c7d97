package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One Istio {@code HTTPMatchRequest} as an Envoy {@link RouteMatch}: {@code uri} → {@code path}/{@code prefix}/
 * {@code safe_regex} (case-insensitive with {@code ignoreUriCase}), {@code headers} and {@code withoutHeaders} →
 * header matchers (the latter inverted), {@code queryParams} → query parameter matchers, {@code method},
 * {@code authority} and {@code scheme} → the {@code :method}, {@code :authority} and {@code :scheme} pseudo-headers.
 *
 * <p>Conditions a proxy decides before routing are checked here, not sent: {@code port} against the port the route
 * table serves, {@code gateways} against the proxy. {@code sourceLabels} and {@code sourceNamespace} name the
 * client pod, which a waypoint or gateway does not know when routing (Istio compares them with the proxy's own
 * labels and namespace, so at a waypoint they practically never hold): a match with them never matches, with a
 * warning.
 */
final class RouteMatches {

    private RouteMatches() {}

    /** Where a route table is used: its port and the gateway name ({@code mesh} for a waypoint). */
    record Scope(int port, String gateway, String namespace) {}

    /** Empty when the match cannot hold for this scope. */
    static Optional<RouteMatch> of(HTTPMatchRequest match, Scope scope, Consumer<String> warn) {
        if (match.getPort() != null && match.getPort() != 0 && match.getPort() != scope.port()) {
            return Optional.empty();
        }
        if (match.getGateways() != null
                && !match.getGateways().isEmpty()
                && !GatewayNames.contains(match.getGateways(), scope.gateway(), scope.namespace())) {
            return Optional.empty();
        }
        if (match.getSourceLabels() != null && !match.getSourceLabels().isEmpty()) {
            warn.accept("match.sourceLabels cannot be evaluated at a waypoint or gateway (the client's labels are"
                    + " not known there); this match never applies");
            return Optional.empty();
        }
        if (match.getSourceNamespace() != null && !match.getSourceNamespace().isEmpty()) {
            warn.accept("match.sourceNamespace cannot be evaluated at a waypoint or gateway; this match never"
                    + " applies (use an AuthorizationPolicy on source.namespace instead)");
            return Optional.empty();
        }
        RouteMatch.Builder route = RouteMatch.newBuilder();
        Optional<StringMatcher> uri = StringMatchers.of(match.getUri());
        if (uri.isEmpty()) {
            route.setPrefix("/");
        } else {
            StringMatcher m = uri.get();
            switch (m.getMatchPatternCase()) {
                case EXACT -> route.setPath(m.getExact());
                case PREFIX -> route.setPrefix(m.getPrefix());
                case SAFE_REGEX -> route.setSafeRegex(m.getSafeRegex());
                default -> route.setPrefix("/");
            }
        }
        if (Boolean.TRUE.equals(match.getIgnoreUriCase())) {
            route.setCaseSensitive(BoolValue.of(false));
        }
        sorted(match.getHeaders())
                .forEach((name, value) -> route.addHeaders(StringMatchers.header(name, value, false)));
        sorted(match.getWithoutHeaders())
                .forEach((name, value) -> route.addHeaders(StringMatchers.header(name, value, true)));
        StringMatchers.of(match.getMethod())
                .ifPresent(m -> route.addHeaders(StringMatchers.pseudoHeader(":method", m)));
        StringMatchers.of(match.getAuthority())
                .ifPresent(m -> route.addHeaders(StringMatchers.pseudoHeader(":authority", m)));
        StringMatchers.of(match.getScheme())
                .ifPresent(m -> route.addHeaders(StringMatchers.pseudoHeader(":scheme", m)));
        sorted(match.getQueryParams())
                .forEach((name, value) -> route.addQueryParameters(StringMatchers.queryParameter(name, value)));
        return Optional.of(route.build());
    }

    /** Header and parameter names in a stable order (case-insensitive, as header names are). */
    private static <V> Map<String, V> sorted(Map<String, V> map) {
        Map<String, V> sorted = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        if (map != null) {
            sorted.putAll(map);
        }
        return sorted;
    }
}
