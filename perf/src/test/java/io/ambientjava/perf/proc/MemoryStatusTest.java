package io.ambientjava.perf.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryStatusTest {

    private static final String STATUS = String.join(
            "\n",
            "Name:\tjava",
            "State:\tS (sleeping)",
            "VmPeak:\t 4000000 kB",
            "VmHWM:\t  150000 kB",
            "VmRSS:\t  120000 kB",
            "Threads:\t31",
            "");

    @Test
    void readsPeakAndCurrentResidentSetInBytes() {
        MemoryStatus memory = MemoryStatus.parseStatus(STATUS);

        assertThat(memory.peakResidentBytes()).isEqualTo(150_000L * 1024);
        assertThat(memory.residentBytes()).isEqualTo(120_000L * 1024);
    }

    @Test
    void readsThisProcessThroughAnyProcRoot(@TempDir Path fakeProc) throws Exception {
        Files.createDirectories(fakeProc.resolve("77"));
        Files.writeString(fakeProc.resolve("77").resolve("status"), STATUS);
        Files.writeString(fakeProc.resolve("loadavg"), "0.52 0.58 0.59 1/467 12345\n");
        ProcFiles proc = new ProcFiles(fakeProc);

        assertThat(proc.memory(77).peakResidentBytes()).isEqualTo(150_000L * 1024);
        assertThat(proc.loadAverage()).isEqualTo("0.52 0.58 0.59");
        assertThat(ProcFiles.system().memory(ProcessHandle.current().pid()).peakResidentBytes())
                .isPositive();
    }

    @Test
    void namesWhatIsMissingOrMalformed(@TempDir Path fakeProc) {
        assertThatThrownBy(() -> MemoryStatus.parseStatus("Name:\tkthreadd\n")).hasMessageContaining("no VmHWM line");
        assertThatThrownBy(() -> MemoryStatus.parseStatus("VmHWM:\t 10 kB\n")).hasMessageContaining("no VmRSS line");
        assertThatThrownBy(() -> MemoryStatus.parseStatus("VmHWM:\t 10 MB\nVmRSS:\t 1 kB\n"))
                .hasMessageContaining("unexpected VmHWM line");
        assertThatThrownBy(() -> MemoryStatus.parseStatus("VmHWM:\t ten kB\nVmRSS:\t 1 kB\n"))
                .hasMessageContaining("not a number");
        assertThatThrownBy(() -> new ProcFiles(fakeProc).memory(99)).hasMessageContaining("has process 99 exited?");
    }

    @Test
    void knowsTheClockTickRate() {
        assertThat(ClockTicks.perSecond()).isEqualTo(ClockTicks.LINUX_DEFAULT);
    }
}
