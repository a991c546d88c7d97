package io.ambientjava.perf.proc;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The kernel's USER_HZ: how many clock ticks make a second in {@code /proc/<pid>/stat}. */
public final class ClockTicks {

    /** The value Linux has used for USER_HZ on every common architecture; used when sysconf cannot be called. */
    static final long LINUX_DEFAULT = 100;

    private static final int SC_CLK_TCK = 2; // from <bits/confname.h> on Linux

    private static final long PER_SECOND = lookUp();

    private ClockTicks() {}

    public static long perSecond() {
        return PER_SECOND;
    }

    private static long lookUp() {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle sysconf = linker.downcallHandle(
                    linker.defaultLookup().find("sysconf").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            long ticks = (long) sysconf.invokeExact(SC_CLK_TCK);
            return ticks > 0 ? ticks : LINUX_DEFAULT;
        } catch (Throwable e) {
            // No native access granted, or no libc symbol: the constant is right on Linux anyway.
            return LINUX_DEFAULT;
        }
    }
}
