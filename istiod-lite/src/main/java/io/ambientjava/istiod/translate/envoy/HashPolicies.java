package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHash;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpCookie;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpHeaderName;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpQueryParameterName;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBUseSourceIp;
import java.util.Optional;

/**
 * A DestinationRule's {@code consistentHash} key as the route's {@code hash_policy} (Envoy hashes per route, the
 * cluster only says RING_HASH or MAGLEV): header, cookie (name, path, ttl), source IP, query parameter.
 */
final class HashPolicies {

    private HashPolicies() {}

    static Optional<RouteAction.HashPolicy> of(TrafficPolicies policy) {
        if (policy.loadBalancer() == null
                || !(policy.loadBalancer().getLbPolicy() instanceof LoadBalancerSettingsConsistentHash hash)
                || hash.getConsistentHash() == null
                || hash.getConsistentHash().getHashKey() == null) {
            return Optional.empty();
        }
        RouteAction.HashPolicy.Builder out = RouteAction.HashPolicy.newBuilder();
        switch (hash.getConsistentHash().getHashKey()) {
            case LoadBalancerSettingsConsistentHashLBHttpHeaderName header ->
                out.setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(header.getHttpHeaderName()));
            case LoadBalancerSettingsConsistentHashLBHttpCookie cookie
            when cookie.getHttpCookie() != null -> {
                var c = cookie.getHttpCookie();
                RouteAction.HashPolicy.Cookie.Builder envoy =
                        RouteAction.HashPolicy.Cookie.newBuilder().setName(c.getName());
                if (c.getPath() != null) {
                    envoy.setPath(c.getPath());
                }
                try {
                    IstioDurations.parse(c.getTtl()).ifPresent(envoy::setTtl);
                } catch (IllegalArgumentException e) {
                    // reported when the cluster is built from the same policy
                }
                out.setCookie(envoy);
            }
            case LoadBalancerSettingsConsistentHashLBUseSourceIp source
            when Boolean.TRUE.equals(source.getUseSourceIp()) ->
                out.setConnectionProperties(
                        RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true));
            case LoadBalancerSettingsConsistentHashLBHttpQueryParameterName query ->
                out.setQueryParameter(
                        RouteAction.HashPolicy.QueryParameter.newBuilder().setName(query.getHttpQueryParameterName()));
            default -> {
                return Optional.empty();
            }
        }
        return Optional.of(out.build());
    }
}
