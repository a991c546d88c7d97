package io.ambientjava.waypoint.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.config.CircuitBreakerLimits;
import io.ambientjava.waypoint.config.RetryPolicy;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LimitsTest {

    @Test
    void retryBudgetAllowsAPercentOfActiveRequestsButAtLeastTheMinimum() {
        var limits = new ClusterLimits(new CircuitBreakerLimits(
                1024, 1024, 1024, 3, Optional.of(new CircuitBreakerLimits.RetryBudget(20.0, 2))));
        assertThat(limits.tryStartRetry()).isTrue();
        assertThat(limits.tryStartRetry()).isTrue();
        assertThat(limits.tryStartRetry())
                .as("min concurrency 2 with no requests")
                .isFalse();
        for (int i = 0; i < 20; i++) {
            assertThat(limits.tryStartRequest()).isTrue();
        }
        assertThat(limits.tryStartRetry()).as("20% of 20 requests = 4").isTrue();
        assertThat(limits.tryStartRetry()).isTrue();
        assertThat(limits.tryStartRetry()).isFalse();
        limits.endRetry();
        assertThat(limits.tryStartRetry()).isTrue();
    }

    @Test
    void maxRetriesWithoutBudget() {
        var limits = new ClusterLimits(new CircuitBreakerLimits(1024, 1024, 1024, 1, Optional.empty()));
        assertThat(limits.tryStartRetry()).isTrue();
        assertThat(limits.tryStartRetry()).isFalse();
        assertThat(limits.overflows()).isEqualTo(1);
    }

    @Test
    void retryConditionsFollowEnvoy() {
        var p = new RetryPolicy(
                Set.of("retriable-4xx", "gateway-error"),
                2,
                Optional.empty(),
                Duration.ofMillis(25),
                Duration.ofMillis(250),
                Set.of());
        assertThat(p.retriesStatus(409)).isTrue();
        assertThat(p.retriesStatus(404)).isFalse();
        assertThat(p.retriesStatus(502)).isTrue();
        assertThat(p.retriesStatus(500)).isFalse();
        assertThat(p.retriesConnectFailure()).isTrue();
        var codes = new RetryPolicy(
                Set.of("retriable-status-codes"),
                1,
                Optional.empty(),
                Duration.ofMillis(25),
                Duration.ofMillis(250),
                Set.of(418));
        assertThat(codes.retriesStatus(418)).isTrue();
        assertThat(codes.retriesConnectFailure()).isFalse();
        assertThat(codes.retriesReset()).isFalse();
    }
}
