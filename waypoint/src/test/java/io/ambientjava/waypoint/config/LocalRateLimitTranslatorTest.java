package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.RateLimits;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.LocalRateLimitDescriptor;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** local_ratelimit from Envoy protos to records: what is kept, and what is refused by field name. */
class LocalRateLimitTranslatorTest {

    private static ListenerConfig.Http listenerWith(LocalRateLimit config) {
        var listener = RateLimits.beforeRouter(
                Envoy.httpListener("198.19.0.10", 80, "reviews.default.svc.cluster.local"), RateLimits.filter(config));
        return (ListenerConfig.Http) ListenerTranslator.translate(listener).kind();
    }

    private static Route routeWith(io.envoyproxy.envoy.config.route.v3.Route.Builder route) {
        return RouteTranslator.translate(Envoy.routes("r:80", List.of(route.build())))
                .virtualHosts()
                .getFirst()
                .routes()
                .getFirst();
    }

    @Test
    void theListenerFilterKeepsBucketPercentagesHeadersAndItsPlace() {
        ListenerConfig.Http http = listenerWith(
                RateLimits.enforced(RateLimits.bucket(4, 2, 60_000)).build());

        LocalRateLimitConfig config = http.localRateLimit().orElseThrow();
        assertThat(config.tokenBucket()).contains(new TokenBucketConfig(4, 2, Duration.ofSeconds(60)));
        assertThat(config.enabled()).isEqualTo(1.0);
        assertThat(config.enforced()).isEqualTo(1.0);
        assertThat(config.status()).isEqualTo(429);
        assertThat(config.xRateLimitHeaders()).isTrue();
        assertThat(config.alwaysConsumeDefault()).isTrue();
        assertThat(config.responseHeaders().add())
                .containsExactly(new HeaderMutations.HeaderAdd(
                        "x-local-rate-limit", "true", HeaderMutations.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
        assertThat(http.httpFilters())
                .containsExactly(
                        "envoy.filters.http.fault", "envoy.filters.http.local_ratelimit", "envoy.filters.http.router");
        assertThat(http.rateLimitBeforeSecurity()).isTrue();
    }

    @Test
    void unsetPercentagesMeanNeverAndAStatusBelow400Means429() {
        LocalRateLimit bare = LocalRateLimit.newBuilder()
                .setStatPrefix("p")
                .setStatus(HttpStatus.newBuilder().setCode(StatusCode.OK))
                .setAlwaysConsumeDefaultTokenBucket(BoolValue.of(false))
                .build();
        LocalRateLimitConfig config = listenerWith(bare).localRateLimit().orElseThrow();
        assertThat(config.enabled()).isZero();
        assertThat(config.enforced()).isZero();
        assertThat(config.status()).isEqualTo(429);
        assertThat(config.tokenBucket()).isEmpty();
        assertThat(config.alwaysConsumeDefault()).isFalse();
    }

    @Test
    void aRouteCarriesItsOwnLimitDescriptorsAndRateLimitActions() {
        LocalRateLimit perRoute = RateLimits.enforced(RateLimits.bucket(10, 10, 1000))
                .addDescriptors(RateLimits.descriptor("path", "yes", RateLimits.bucket(2, 1, 1000)))
                .build();
        var action = io.envoyproxy.envoy.config.route.v3.RouteAction.newBuilder()
                .setCluster("c")
                .addRateLimits(RateLimit.newBuilder()
                        .addActions(RateLimit.Action.newBuilder()
                                .setHeaderValueMatch(RateLimit.Action.HeaderValueMatch.newBuilder()
                                        .setDescriptorKey("path")
                                        .setDescriptorValue("yes")
                                        .addHeaders(HeaderMatcher.newBuilder()
                                                .setName(":path")
                                                .setStringMatch(StringMatcher.newBuilder()
                                                        .setPrefix("/foo")))))
                        .addActions(RateLimit.Action.newBuilder()
                                .setRequestHeaders(RateLimit.Action.RequestHeaders.newBuilder()
                                        .setHeaderName("X-User")
                                        .setDescriptorKey("user")
                                        .setSkipIfAbsent(true)))
                        .addActions(RateLimit.Action.newBuilder()
                                .setGenericKey(
                                        RateLimit.Action.GenericKey.newBuilder().setDescriptorValue("g"))));
        Route route = routeWith(Envoy.prefixRoute("/", "c")
                .setRoute(action)
                .putTypedPerFilterConfig(RateLimits.FILTER, Any.pack(perRoute)));

        LocalRateLimitConfig config = route.localRateLimit().orElseThrow();
        assertThat(config.descriptors())
                .containsExactly(new LocalRateLimitConfig.Descriptor(
                        List.of(new LocalRateLimitConfig.Entry("path", "yes")),
                        new TokenBucketConfig(2, 1, Duration.ofSeconds(1))));
        assertThat(route.rateLimits()).hasSize(1);
        List<RateLimitAction> actions = route.rateLimits().getFirst().actions();
        assertThat(actions.get(0)).isInstanceOf(RateLimitAction.HeaderValueMatch.class);
        assertThat(actions.get(1)).isEqualTo(new RateLimitAction.RequestHeaders("x-user", "user", true));
        assertThat(actions.get(2)).isEqualTo(new RateLimitAction.GenericKey("generic_key", "g"));
    }

    @Test
    void unsupportedFieldsAreRefusedByName() {
        assertThatThrownBy(() -> listenerWith(RateLimits.enforced(RateLimits.bucket(1, 1, 1000))
                        .setLocalRateLimitPerDownstreamConnection(true)
                        .build()))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("typed_config.local_rate_limit_per_downstream_connection");
        assertThatThrownBy(() -> listenerWith(
                        RateLimits.enforced(RateLimits.bucket(1, 1, 10)).build()))
                .hasMessageContaining("token_bucket.fill_interval")
                .hasMessageContaining("50ms");
        assertThatThrownBy(() -> listenerWith(RateLimits.enforced(RateLimits.bucket(1, 1, 1000))
                        .addDescriptors(LocalRateLimitDescriptor.newBuilder()
                                .addEntries(
                                        RateLimitDescriptor.Entry.newBuilder().setKey("user"))
                                .setTokenBucket(RateLimits.bucket(1, 1, 1000)))
                        .build()))
                .hasMessageContaining("descriptors[0].entries[0].value")
                .hasMessageContaining("wildcard");
        assertThatThrownBy(() -> listenerWith(LocalRateLimit.newBuilder().build()))
                .hasMessageContaining("stat_prefix");
    }

    @Test
    void aRouteLimitWithoutBucketAndUnknownActionsAreRefused() {
        LocalRateLimit noBucket = LocalRateLimit.newBuilder().setStatPrefix("p").build();
        assertThatThrownBy(() -> routeWith(
                        Envoy.prefixRoute("/", "c").putTypedPerFilterConfig(RateLimits.FILTER, Any.pack(noBucket))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("typed_per_filter_config[envoy.filters.http.local_ratelimit].token_bucket");
        var action = io.envoyproxy.envoy.config.route.v3.RouteAction.newBuilder()
                .setCluster("c")
                .addRateLimits(RateLimit.newBuilder()
                        .addActions(RateLimit.Action.newBuilder()
                                .setDestinationCluster(RateLimit.Action.DestinationCluster.getDefaultInstance())));
        assertThatThrownBy(() -> routeWith(Envoy.prefixRoute("/", "c").setRoute(action)))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("route.rate_limits[0].actions[0].destination_cluster");
    }
}
