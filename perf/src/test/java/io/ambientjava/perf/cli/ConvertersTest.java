package io.ambientjava.perf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ConvertersTest {

    @Test
    void readsDurationsAsTyped() {
        assertThat(DurationConverter.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationConverter.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(DurationConverter.parse(" 2M ")).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void rejectsDurationsWithoutAUnit() {
        assertThatThrownBy(() -> DurationConverter.parse("10"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("'10' is not a duration");
        assertThatThrownBy(() -> DurationConverter.parse("-1s")).hasMessageContaining("not a duration");
    }

    @Test
    void readsBinaryByteSizes() {
        assertThat(ByteSizeConverter.parse("1048576")).isEqualTo(1L << 20);
        assertThat(ByteSizeConverter.parse("64KiB")).isEqualTo(64L << 10);
        assertThat(ByteSizeConverter.parse("512mib")).isEqualTo(512L << 20);
        assertThat(ByteSizeConverter.parse("2GiB")).isEqualTo(2L << 30);
    }

    @Test
    void rejectsDecimalOrOversizedByteSizes() {
        assertThatThrownBy(() -> ByteSizeConverter.parse("2GB")).hasMessageContaining("'2GB' is not a byte size");
        assertThatThrownBy(() -> ByteSizeConverter.parse("99999999999999GiB")).hasMessageContaining("too large");
        assertThatThrownBy(() -> ByteSizeConverter.parse("99999999999999999999"))
                .hasMessageContaining("too large");
    }
}
