package io.ambientjava.perf.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class LongRingTest {

    @Test
    void isFirstInFirstOutAcrossGrowthAndWrapAround() {
        LongRing ring = new LongRing(2);
        ring.add(1);
        ring.add(2);
        assertThat(ring.poll()).isEqualTo(1);
        ring.add(3); // wraps around
        ring.add(4); // grows while wrapped
        ring.add(5);

        assertThat(ring.size()).isEqualTo(4);
        assertThat(ring.poll()).isEqualTo(2);
        assertThat(ring.poll()).isEqualTo(3);
        assertThat(ring.poll()).isEqualTo(4);
        assertThat(ring.poll()).isEqualTo(5);
        assertThat(ring.isEmpty()).isTrue();
    }

    @Test
    void refusesToPollWhenEmptyOrToStartWithoutRoom() {
        assertThatThrownBy(() -> new LongRing(4).poll())
                .isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> new LongRing(0)).hasMessageContaining("capacity must be positive");
    }
}
