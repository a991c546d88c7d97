package io.ambientjava.perf.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CpuTicksTest {

    // A real line from a JVM, fields 14 (utime) = 1234 and 15 (stime) = 56.
    private static final String STAT = "4242 (java) S 1 4242 4242 0 -1 4194560 30000 0 5 0 1234 56 0 0 20 0 31 0"
            + " 987654 6000000000 50000 18446744073709551615 1 1 0 0 0 0 4 0 16800975 0 0 0 17 1 0 0 0 0 0";

    @Test
    void readsUserAndSystemTicks() {
        CpuTicks ticks = CpuTicks.parseStat(STAT);

        assertThat(ticks.user()).isEqualTo(1234);
        assertThat(ticks.system()).isEqualTo(56);
        assertThat(ticks.total()).isEqualTo(1290);
        assertThat(ticks.totalSeconds(100)).isEqualTo(12.9);
    }

    @Test
    void copesWithSpacesAndParenthesesInTheCommandName() {
        String tricky = STAT.replace("(java)", "(my (odd) name) x)");

        assertThat(CpuTicks.parseStat(tricky)).isEqualTo(new CpuTicks(1234, 56));
    }

    @Test
    void readsThisProcess() throws Exception {
        CpuTicks self = ProcFiles.system().cpu(ProcessHandle.current().pid());

        assertThat(self.total()).isPositive();
    }

    @Test
    void sumsTheBusyCountersOfAllCpus() {
        String stat = "cpu  100 20 30 5000 40 6 7 8 90 0\ncpu0 50 10 15 2500 20 3 3 4 45 0\nintr 12345\n";

        // user 100 + nice 20 + system 30 + irq 6 + softirq 7 + steal 8; idle and iowait are not busy
        assertThat(SystemCpuTicks.parseStat(stat).busy()).isEqualTo(171);
        assertThat(ProcFiles.system().systemCpu().busy()).isPositive();
        assertThatThrownBy(() -> SystemCpuTicks.parseStat("intr 1 2 3\n")).hasMessageContaining("aggregate 'cpu'");
        assertThatThrownBy(() -> SystemCpuTicks.parseStat("cpu 1 2 x 4 5 6 7 8\n"))
                .hasMessageContaining("not a number");
    }

    @Test
    void rejectsWhatIsNotAStatLine() {
        assertThatThrownBy(() -> CpuTicks.parseStat("hello world"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no ')'");
        assertThatThrownBy(() -> CpuTicks.parseStat("1 (x) S 1 2 3")).hasMessageContaining("expected at least 15");
        assertThatThrownBy(() -> CpuTicks.parseStat(STAT.replace(" 1234 ", " 12x4 ")))
                .hasMessageContaining("not numbers");
        assertThatThrownBy(() -> new CpuTicks(-1, 0)).hasMessageContaining("must not be negative");
    }
}
