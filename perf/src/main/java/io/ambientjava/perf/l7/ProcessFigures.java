package io.ambientjava.perf.l7;

import io.ambientjava.perf.proc.ClockTicks;
import io.ambientjava.perf.proc.MemoryStatus;
import io.ambientjava.perf.proc.ProcFiles;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU and memory of one proxy from {@code /proc}: its process and its children (nginx's workers), summed.
 *
 * @param name what it is (waypoint, ztunnel@node1, nginx)
 */
record ProcessFigures(String name, io.ambientjava.testing.netns.StartedProcess started) {

    long pid() {
        return started.process().pid();
    }

    List<Long> pids() {
        List<Long> all = new ArrayList<>();
        all.add(pid());
        ProcessHandle.of(pid()).ifPresent(p -> p.descendants().forEach(d -> all.add(d.pid())));
        return all;
    }

    /** CPU seconds (user + system) so far. */
    double cpuSeconds() {
        double sum = 0;
        for (long p : pids()) {
            try {
                sum += ProcFiles.system().cpu(p).totalSeconds(ClockTicks.perSecond());
            } catch (RuntimeException gone) {
                // a worker that just ended
            }
        }
        return sum;
    }

    /** Resident and peak resident (VmHWM) bytes, summed. */
    MemoryStatus memory() {
        long rss = 0;
        long peak = 0;
        for (long p : pids()) {
            try {
                MemoryStatus m = ProcFiles.system().memory(p);
                rss += m.residentBytes();
                peak += m.peakResidentBytes();
            } catch (RuntimeException gone) {
                // a worker that just ended
            }
        }
        return new MemoryStatus(peak, rss);
    }
}
