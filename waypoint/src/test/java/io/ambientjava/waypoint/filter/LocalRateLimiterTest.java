package io.ambientjava.waypoint.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.config.HeaderMutations;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.LocalRateLimitConfig;
import io.ambientjava.waypoint.config.PathMatch;
import io.ambientjava.waypoint.config.RateLimitAction;
import io.ambientjava.waypoint.config.RateLimitPolicy;
import io.ambientjava.waypoint.config.Route;
import io.ambientjava.waypoint.config.RouteAction;
import io.ambientjava.waypoint.config.RouteMatch;
import io.ambientjava.waypoint.config.RouteTable;
import io.ambientjava.waypoint.config.TokenBucketConfig;
import io.ambientjava.waypoint.config.VirtualHost;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** The filter's decision on records, with the clock and the percentage rolls in the test's hands. */
class LocalRateLimiterTest {

    private static final TokenBucketConfig ONE = new TokenBucketConfig(1, 1, Duration.ofSeconds(60));
    private static final TokenBucketConfig PLENTY = new TokenBucketConfig(100, 100, Duration.ofSeconds(60));

    private final AtomicLong nanos = new AtomicLong();
    private final RateLimitBuckets buckets = new RateLimitBuckets(nanos::get);

    private static LocalRateLimitConfig config(
            Optional<TokenBucketConfig> bucket,
            double enabled,
            double enforced,
            List<LocalRateLimitConfig.Descriptor> descriptors,
            boolean alwaysConsumeDefault,
            List<RateLimitPolicy> ownRateLimits) {
        return new LocalRateLimitConfig(
                "p",
                429,
                bucket,
                enabled,
                enforced,
                new HeaderMutations(
                        List.of(new HeaderMutations.HeaderAdd(
                                "x-over", "1", HeaderMutations.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD)),
                        List.of()),
                HeaderMutations.NONE,
                descriptors,
                0,
                true,
                alwaysConsumeDefault,
                false,
                ownRateLimits);
    }

    private static ListenerConfig.Http listener(LocalRateLimitConfig config) {
        return new ListenerConfig.Http(
                "r", Optional.empty(), List.of(), Optional.empty(), List.of(), Optional.empty(), Optional.of(config));
    }

    private static Optional<RouteTable> table(List<RateLimitPolicy> rateLimits) {
        Route route = new Route(
                "all",
                new RouteMatch(new PathMatch.Prefix("/", true), List.of(), List.of()),
                new RouteAction.DirectResponse(200, Optional.empty()),
                HeaderMutations.NONE,
                HeaderMutations.NONE,
                Optional.empty(),
                Optional.empty(),
                rateLimits);
        return Optional.of(new RouteTable("r", List.of(new VirtualHost("vh", List.of("*"), List.of(route)))));
    }

    private static RequestView request(String... headers) {
        var h = new DefaultHttpHeaders();
        for (int i = 0; i < headers.length; i += 2) {
            h.add(headers[i], headers[i + 1]);
        }
        return new RequestView("GET", "/", "shop", "http", h);
    }

    private LocalRateLimiter.Decision decide(
            LocalRateLimitConfig config, List<RateLimitPolicy> rateLimits, DoubleSupplier random, RequestView view) {
        return LocalRateLimiter.decide(
                buckets, "l", listener(config), table(rateLimits), view, Optional.of("198.18.0.7"), random);
    }

    @Test
    void theEnabledFractionDecidesWhichRequestsAreLookedAt() {
        LocalRateLimitConfig half = config(Optional.of(ONE), 0.5, 1.0, List.of(), true, List.of());
        // rolls above the fraction: not looked at, no token taken, no headers
        for (int i = 0; i < 3; i++) {
            var skipped = decide(half, List.of(), () -> 0.7, request());
            assertThat(skipped).isInstanceOf(LocalRateLimiter.Pass.class);
            assertThat(skipped.headers()).isEmpty();
        }
        assertThat(decide(half, List.of(), () -> 0.2, request())).isInstanceOf(LocalRateLimiter.Pass.class);
        assertThat(decide(half, List.of(), () -> 0.2, request())).isInstanceOf(LocalRateLimiter.Limited.class);
    }

    @Test
    void theEnforcedFractionSplitsRefusingFromCounting() {
        LocalRateLimitConfig half = config(Optional.of(ONE), 1.0, 0.5, List.of(), true, List.of());
        decide(half, List.of(), () -> 0.0, request());
        var counted = decide(half, List.of(), () -> 0.9, request());
        assertThat(counted).isInstanceOf(LocalRateLimiter.CountedOnly.class);
        assertThat(((LocalRateLimiter.CountedOnly) counted).requestHeaders().add())
                .extracting(HeaderMutations.HeaderAdd::name)
                .containsExactly("x-over");
        assertThat(decide(half, List.of(), () -> 0.1, request())).isInstanceOf(LocalRateLimiter.Limited.class);
    }

    @Test
    void aMatchedDescriptorAlsoTakesFromTheDefaultBucketUnlessTurnedOff() {
        var byUser = List.of(
                new LocalRateLimitConfig.Descriptor(List.of(new LocalRateLimitConfig.Entry("user", "alice")), PLENTY));
        var actions =
                List.of(new RateLimitPolicy(0, List.of(new RateLimitAction.RequestHeaders("x-user", "user", false))));

        LocalRateLimitConfig always = config(Optional.of(ONE), 1.0, 1.0, byUser, true, List.of());
        assertThat(decide(always, actions, () -> 0, request("x-user", "alice")))
                .isInstanceOf(LocalRateLimiter.Pass.class);
        assertThat(decide(always, actions, () -> 0, request("x-user", "alice")))
                .as("the default bucket of 1 is spent")
                .isInstanceOf(LocalRateLimiter.Limited.class);

        LocalRateLimitConfig descriptorOnly = config(Optional.of(ONE), 1.0, 1.0, byUser, false, List.of());
        for (int i = 0; i < 5; i++) {
            assertThat(decide(descriptorOnly, actions, () -> 0, request("x-user", "alice")))
                    .isInstanceOf(LocalRateLimiter.Pass.class);
        }
        var shown = decide(descriptorOnly, actions, () -> 0, request("x-user", "alice"));
        // the same listener and bucket spec keep the same descriptor bucket: 2 + 6 tokens taken
        assertThat(shown.headers()).contains(new LocalRateLimiter.RateLimitHeaders(100, 92, 60));
    }

    @Test
    void descriptorsComeFromTheActionsInOrderAndAllMustProduce() {
        var remoteAndKey = List.of(new LocalRateLimitConfig.Descriptor(
                List.of(
                        new LocalRateLimitConfig.Entry("remote_address", "198.18.0.7"),
                        new LocalRateLimitConfig.Entry("generic_key", "api")),
                ONE));
        var ownActions = List.of(new RateLimitPolicy(
                0,
                List.of(
                        new RateLimitAction.RemoteAddress(),
                        new RateLimitAction.RequestHeaders("x-absent", "absent", true),
                        new RateLimitAction.GenericKey("generic_key", "api"))));
        // the filter's own rate_limits win over the route's; without a default bucket only the descriptor limits
        LocalRateLimitConfig config = config(Optional.empty(), 1.0, 1.0, remoteAndKey, true, ownActions);
        assertThat(decide(config, List.of(), () -> 0, request())).isInstanceOf(LocalRateLimiter.Pass.class);
        assertThat(decide(config, List.of(), () -> 0, request())).isInstanceOf(LocalRateLimiter.Limited.class);

        var strict = List.of(new RateLimitPolicy(
                0,
                List.of(
                        new RateLimitAction.RemoteAddress(),
                        new RateLimitAction.RequestHeaders("x-absent", "absent", false),
                        new RateLimitAction.GenericKey("generic_key", "api"))));
        LocalRateLimitConfig noDescriptor = config(Optional.empty(), 1.0, 1.0, remoteAndKey, true, strict);
        var passed = decide(noDescriptor, List.of(), () -> 0, request());
        assertThat(passed).isInstanceOf(LocalRateLimiter.Pass.class);
        assertThat(passed.headers()).as("no bucket applied").isEmpty();
    }

    @Test
    void aBucketRefillsOnTheInjectedClock() {
        LocalRateLimitConfig config = config(Optional.of(ONE), 1.0, 1.0, List.of(), true, List.of());
        assertThat(decide(config, List.of(), () -> 0, request())).isInstanceOf(LocalRateLimiter.Pass.class);
        var limited = decide(config, List.of(), () -> 0, request());
        assertThat(limited.headers()).contains(new LocalRateLimiter.RateLimitHeaders(1, 0, 60));
        nanos.addAndGet(Duration.ofSeconds(60).toNanos());
        assertThat(decide(config, List.of(), () -> 0, request())).isInstanceOf(LocalRateLimiter.Pass.class);
    }
}
