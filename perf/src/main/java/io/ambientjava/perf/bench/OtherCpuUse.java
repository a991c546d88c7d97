package io.ambientjava.perf.bench;

import io.ambientjava.perf.proc.ClockTicks;
import io.ambientjava.perf.proc.ProcFiles;

/**
 * How busy the machine was with work that is not the benchmark's: all CPU time spent on the machine during a
 * window, less this JVM's and the tunnel child's. The load average cannot tell, since it counts the benchmark's
 * own threads.
 */
final class OtherCpuUse {

    private final ProcFiles proc;
    private final long systemBusyBefore;
    private final long selfBefore;
    private final long startNanos;

    private OtherCpuUse(ProcFiles proc) {
        this.proc = proc;
        this.systemBusyBefore = proc.systemCpu().busy();
        this.selfBefore = proc.cpu(ProcessHandle.current().pid()).total();
        this.startNanos = System.nanoTime();
    }

    static OtherCpuUse startWindow(ProcFiles proc) {
        return new OtherCpuUse(proc);
    }

    /**
     * Average CPUs kept busy by other processes since the window started.
     *
     * @param childSeconds CPU seconds of tunnel children started inside the window (0 without one)
     */
    double otherCpus(double childSeconds) {
        long ticksPerSecond = ClockTicks.perSecond();
        double system = (proc.systemCpu().busy() - systemBusyBefore) / (double) ticksPerSecond;
        double self = (proc.cpu(ProcessHandle.current().pid()).total() - selfBefore) / (double) ticksPerSecond;
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return Math.max(0, system - self - childSeconds) / seconds;
    }
}
