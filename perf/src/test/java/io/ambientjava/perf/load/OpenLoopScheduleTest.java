package io.ambientjava.perf.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OpenLoopScheduleTest {

    @Test
    void spacesRequestsEvenlyFromTheStart() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(5_000, 1_000, 10);

        assertThat(schedule.intendedNanos(0)).isEqualTo(5_000);
        assertThat(schedule.intendedNanos(1)).isEqualTo(5_000 + 1_000_000);
        assertThat(schedule.intendedNanos(9)).isEqualTo(5_000 + 9_000_000);
        assertThat(schedule.endNanos()).isEqualTo(5_000 + 10_000_000);
    }

    @Test
    void computesFromTheIndexSoRoundingNeverAccumulates() {
        // 3/s does not divide a second evenly: adding 333,333,333 ns a million times would drift by a third of a ms.
        OpenLoopSchedule schedule = new OpenLoopSchedule(0, 3, 3_000_000);

        assertThat(schedule.intendedNanos(3)).isEqualTo(1_000_000_000L);
        assertThat(schedule.intendedNanos(2_999_999)).isEqualTo(999_999_666_666_666L);
        assertThat(schedule.intendedNanos(3_000_000 - 1) / 1_000_000_000L).isEqualTo(999_999);
    }

    @Test
    void countsWhatIsDueAtAnInstant() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(1_000, 1_000, 5);

        assertThat(schedule.dueBy(0)).isZero();
        assertThat(schedule.dueBy(999)).isZero();
        assertThat(schedule.dueBy(1_000)).isEqualTo(1);
        assertThat(schedule.dueBy(1_000 + 999_999)).isEqualTo(1);
        assertThat(schedule.dueBy(1_000 + 1_000_000)).isEqualTo(2);
        assertThat(schedule.dueBy(1_000 + 4_000_000)).isEqualTo(5);
        assertThat(schedule.dueBy(Long.MAX_VALUE / 2)).isEqualTo(5);
    }

    @Test
    void dueCountAgreesWithIntendedTimesForAwkwardRates() {
        for (int rate : new int[] {1, 3, 7, 999, 1_000, 10_000, 123_457}) {
            OpenLoopSchedule schedule = new OpenLoopSchedule(17, rate, 500);
            for (long i = 0; i < 500; i++) {
                long at = schedule.intendedNanos(i);
                assertThat(schedule.dueBy(at))
                        .as("rate %d, request %d at its time", rate, i)
                        .isEqualTo(i + 1);
                assertThat(schedule.dueBy(at - 1))
                        .as("rate %d, request %d just before", rate, i)
                        .isLessThanOrEqualTo(i);
            }
        }
    }

    @Test
    void coveringRoundsTheRequestCount() {
        assertThat(OpenLoopSchedule.covering(0, 10_000, 1.5).totalRequests()).isEqualTo(15_000);
        assertThat(OpenLoopSchedule.covering(0, 3, 0.5).totalRequests()).isEqualTo(2);
        assertThat(OpenLoopSchedule.covering(0, 1_000, 0).totalRequests()).isZero();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 0, 10)).hasMessageContaining("rate must be positive");
        assertThatThrownBy(() -> new OpenLoopSchedule(0, -5, 10)).hasMessageContaining("-5/s");
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 10, -1)).hasMessageContaining("must not be negative");
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 10, Long.MAX_VALUE / 10))
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> OpenLoopSchedule.covering(0, 10, Double.NaN)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 10, 5).intendedNanos(-1))
                .hasMessageContaining("index must not be negative");
    }
}
