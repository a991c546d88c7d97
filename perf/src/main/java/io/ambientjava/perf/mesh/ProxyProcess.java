package io.ambientjava.perf.mesh;

import io.ambientjava.perf.proc.ClockTicks;
import io.ambientjava.perf.proc.MemoryStatus;
import io.ambientjava.perf.proc.ProcFiles;
import io.ambientjava.testing.netns.StartedProcess;

/**
 * One proxy process on the path (a ztunnel or an stunnel), started inside a namespace. {@code ip netns exec}
 * execs the command, so the started process's pid is the proxy's own.
 */
public record ProxyProcess(String name, StartedProcess started) {

    public long pid() {
        return started.process().pid();
    }

    /** CPU seconds (user + system) the process has used so far. */
    public double cpuSeconds() {
        return ProcFiles.system().cpu(pid()).totalSeconds(ClockTicks.perSecond());
    }

    public MemoryStatus memory() {
        return ProcFiles.system().memory(pid());
    }

    /** Fails with the process's log when it has exited. */
    public void checkAlive() {
        if (!started.process().isAlive()) {
            throw new IllegalStateException(
                    name + " exited with " + started.process().exitValue() + ":\n" + started.log());
        }
    }
}
