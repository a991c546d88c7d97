package io.ambientjava.perf.load;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LatencyPlanTest {

    private static final Duration S = Duration.ofSeconds(1);

    @Test
    void rejectsImpossiblePlansNamingTheField() {
        assertThatThrownBy(() -> new LatencyPlan(0, 1, 1024, S, S, S)).hasMessageContaining("rate");
        assertThatThrownBy(() -> new LatencyPlan(10, 0, 1024, S, S, S)).hasMessageContaining("connection");
        assertThatThrownBy(() -> new LatencyPlan(10, 1, 0, S, S, S)).hasMessageContaining("message size");
        assertThatThrownBy(() -> new LatencyPlan(10, 1, 1024, S, Duration.ZERO, S))
                .hasMessageContaining("duration=PT0S");
        assertThatThrownBy(() -> new LatencyPlan(10, 1, 1024, S.negated(), S, S))
                .hasMessageContaining("warmup=PT-1S");
    }
}
