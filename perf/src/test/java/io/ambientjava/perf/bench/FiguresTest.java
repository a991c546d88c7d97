package io.ambientjava.perf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class FiguresTest {

    @Test
    void keepsAFewSignificantDigits() {
        assertThat(Figures.number(12345.6)).isEqualTo("12346");
        assertThat(Figures.number(123.456)).isEqualTo("123");
        assertThat(Figures.number(12.345)).isEqualTo("12.3");
        assertThat(Figures.number(1.2345)).isEqualTo("1.23");
        assertThat(Figures.number(0.012345)).isEqualTo("0.0123");
        assertThat(Figures.number(0)).isEqualTo("0");
        assertThat(Figures.number(Double.NaN)).isEqualTo("—");
        assertThat(Figures.number(OptionalDouble.empty())).isEqualTo("—");
    }

    @Test
    void dividesOnlyWhatIsThere() {
        assertThat(Figures.ratio(OptionalDouble.of(3), OptionalDouble.of(4))).isEqualTo("0.75×");
        assertThat(Figures.ratio(OptionalDouble.of(3), OptionalDouble.of(0))).isEqualTo("—");
        assertThat(Figures.ratio(OptionalDouble.empty(), OptionalDouble.of(4))).isEqualTo("—");
    }
}
