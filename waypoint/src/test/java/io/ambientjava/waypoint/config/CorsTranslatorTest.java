package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.UnknownFieldSet;
import io.ambientjava.waypoint.testsupport.Cors;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.RateLimits;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;
import org.junit.jupiter.api.Test;

/** envoy.filters.http.cors from Envoy protos to records: what is kept, and what is refused by field name. */
class CorsTranslatorTest {

    private static final String WHERE =
            "RouteConfiguration r:80.virtual_hosts[0].routes[0]" + ".typed_per_filter_config[envoy.filters.http.cors]";

    private static Route routeWith(Any perFilterConfig) {
        var route = Envoy.prefixRoute("/", "c").putTypedPerFilterConfig(Cors.FILTER, perFilterConfig);
        return RouteTranslator.translate(Envoy.routes("r:80", List.of(route.build())))
                .virtualHosts()
                .getFirst()
                .routes()
                .getFirst();
    }

    private static ListenerConfig.Http listenerWith(HttpFilter filter) {
        var listener = RateLimits.beforeRouter(
                Envoy.httpListener("198.19.0.10", 80, "reviews.default.svc.cluster.local"), filter);
        return (ListenerConfig.Http) ListenerTranslator.translate(listener).kind();
    }

    @Test
    void everySupportedFieldIsKept() {
        var policy = Cors.policy()
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setPrefix("https://a."))
                .addAllowOriginStringMatch(
                        StringMatcher.newBuilder().setSuffix(".EXAMPLE.org").setIgnoreCase(true))
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setContains("partner"))
                .addAllowOriginStringMatch(StringMatcher.newBuilder()
                        .setSafeRegex(RegexMatcher.newBuilder().setRegex("https://[a-z]+\\.test")))
                .setFilterEnabled(Cors.enabled(50))
                .setForwardNotMatchingPreflights(Envoy.bool(false))
                .build();

        CorsPolicy cors = routeWith(Any.pack(policy)).cors().orElseThrow();

        assertThat(cors.allowOrigins()).hasSize(5);
        assertThat(cors.allowOrigins().get(0)).isEqualTo(new StringMatch.Exact("https://app.example.com", false));
        assertThat(cors.allowOrigins().get(2)).isEqualTo(new StringMatch.Suffix(".EXAMPLE.org", true));
        assertThat(cors.allowsOrigin("https://a.b")).isTrue();
        assertThat(cors.allowsOrigin("https://www.example.org")).isTrue();
        assertThat(cors.allowsOrigin("https://my-partner.net")).isTrue();
        assertThat(cors.allowsOrigin("https://abc.test")).isTrue();
        assertThat(cors.allowsOrigin("https://abc.test.evil")).isFalse();
        assertThat(cors.allowMethods()).isEqualTo("GET,PUT");
        assertThat(cors.allowHeaders()).isEqualTo("content-type,x-custom");
        assertThat(cors.exposeHeaders()).isEqualTo("x-trace");
        assertThat(cors.maxAge()).isEqualTo("86400");
        assertThat(cors.allowCredentials()).isTrue();
        assertThat(cors.enabledFraction()).isEqualTo(0.5);
        assertThat(cors.forwardNotMatchingPreflights()).isFalse();
    }

    @Test
    void unsetFieldsTakeEnvoysDefaults() {
        var policy = io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.getDefaultInstance();

        CorsPolicy cors = routeWith(Any.pack(policy)).cors().orElseThrow();

        assertThat(cors.allowOrigins()).isEmpty();
        assertThat(cors.allowCredentials()).isFalse();
        assertThat(cors.enabledFraction()).isEqualTo(1.0);
        assertThat(cors.forwardNotMatchingPreflights()).isTrue();
    }

    @Test
    void aRouteWithoutPolicyHasNone() {
        var route = RouteTranslator.translate(
                        Envoy.routes("r:80", List.of(Envoy.prefixRoute("/", "c").build())))
                .virtualHosts()
                .getFirst()
                .routes()
                .getFirst();

        assertThat(route.cors()).isEmpty();
    }

    @Test
    void unsupportedPolicyFieldsAreRefusedByPath() {
        assertThatThrownBy(() -> routeWith(Any.pack(
                        Cors.policy().setShadowEnabled(Cors.enabled(100)).build())))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining(WHERE + ".shadow_enabled");
        assertThatThrownBy(() -> routeWith(Any.pack(Cors.policy()
                        .setAllowPrivateNetworkAccess(Envoy.bool(true))
                        .build())))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining(WHERE + ".allow_private_network_access");
        assertThatThrownBy(() -> routeWith(Any.pack(Cors.policy()
                        .addAllowOriginStringMatch(StringMatcher.newBuilder().setExact("x"))
                        .addAllowOriginStringMatch(StringMatcher.getDefaultInstance())
                        .build())))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining(WHERE + ".allow_origin_string_match[2]");
    }

    @Test
    void aWrongTypeIsRefusedNamingBoth() {
        assertThatThrownBy(() -> routeWith(Any.pack(HTTPFault.getDefaultInstance())))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining(WHERE)
                .hasMessageContaining("expected type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy")
                .hasMessageContaining("got type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault");
    }

    @Test
    void theListenerFilterIsAcceptedInItsPlace() {
        ListenerConfig.Http http = listenerWith(Cors.filter());

        assertThat(http.httpFilters())
                .containsExactly("envoy.filters.http.fault", Cors.FILTER, "envoy.filters.http.router");
        assertThat(http.corsBeforeSecurity())
                .as("no jwt_authn or rbac to come before: CORS runs in its place after fault")
                .isFalse();
    }

    @Test
    void theListenerFilterTakesNoSettingsAndOnlyItsOwnType() {
        // Cors has no fields in this API version; anything encoded in it is a newer field the waypoint lacks.
        var withSettings = Cors.filter().toBuilder()
                .setTypedConfig(Any.pack(io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.newBuilder()
                        .setUnknownFields(UnknownFieldSet.newBuilder()
                                .addField(
                                        1,
                                        UnknownFieldSet.Field.newBuilder()
                                                .addVarint(1)
                                                .build())
                                .build())
                        .build()))
                .build();
        assertThatThrownBy(() -> listenerWith(withSettings))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("unknown field numbers [1] in")
                .hasMessageContaining("http_filters[1].typed_config");

        var wrongType = Cors.filter().toBuilder()
                .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance()))
                .build();
        assertThatThrownBy(() -> listenerWith(wrongType))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("expected type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors,");
    }
}
