package io.ambientjava.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libbpf's messages ({@code libbpf_set_print}) go to this logger instead of standard error, and the warnings
 * printed while a thread opens or loads an object are kept so the exception can quote them. The message
 * is formatted by the C library's {@code vsnprintf} with the {@code va_list} libbpf passes (a pointer on
 * x86-64 and aarch64).
 */
@SuppressWarnings("restricted") // Native access is the point of this class.
final class LibbpfLog {
    private static final Logger LOG = LoggerFactory.getLogger("libbpf");
    private static final int LIBBPF_WARN = 0;
    private static final int LIBBPF_INFO = 1;
    private static final int MESSAGE_SIZE = 1024;
    private static final String PREFIX = "libbpf: ";
    private static final int MAX_KEPT = 8;
    private static final ThreadLocal<List<String>> WARNINGS = ThreadLocal.withInitial(ArrayList::new);
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle VSNPRINTF = LINKER.downcallHandle(
            LINKER.defaultLookup().find("vsnprintf").orElseThrow(),
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS));

    private LibbpfLog() {}

    /** Installs the printer; on failure libbpf keeps printing to standard error. */
    static void install(SymbolLookup libbpf) {
        try {
            MethodHandle print = MethodHandles.lookup()
                    .findStatic(
                            LibbpfLog.class,
                            "print",
                            MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment callback = LINKER.upcallStub(
                    print,
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
                    Arena.global());
            MethodHandle setPrint = LINKER.downcallHandle(
                    libbpf.find("libbpf_set_print").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MemorySegment ignoredPrevious = (MemorySegment) setPrint.invokeExact(callback);
        } catch (Throwable t) {
            LOG.warn("libbpf messages stay on standard error: cannot install a printer: {}", t.toString());
        }
    }

    /** Starts keeping this thread's libbpf warnings. */
    static void startCapture() {
        WARNINGS.get().clear();
    }

    /** The warnings since {@link #startCapture}, joined; empty when none. */
    static String captured() {
        List<String> warnings = WARNINGS.get();
        String joined = String.join("; ", warnings);
        warnings.clear();
        return joined;
    }

    // Called by libbpf, on the thread that called into it. Must never throw.
    private static int print(int level, MemorySegment format, MemorySegment arguments) {
        try {
            MemorySegment buffer = Arena.ofAuto().allocate(MESSAGE_SIZE);
            int ignored = (int) VSNPRINTF.invokeExact(buffer, (long) MESSAGE_SIZE, format, arguments);
            String message = buffer.getString(0).strip();
            if (message.startsWith(PREFIX)) {
                message = message.substring(PREFIX.length());
            }
            if (level == LIBBPF_WARN) {
                LOG.warn("{}", message);
                List<String> warnings = WARNINGS.get();
                if (warnings.size() < MAX_KEPT) {
                    warnings.add(message);
                }
            } else if (level == LIBBPF_INFO) {
                LOG.info("{}", message);
            } else {
                LOG.debug("{}", message);
            }
        } catch (Throwable ignored) {
            // A lost log line is better than a crash inside libbpf.
        }
        return 0;
    }
}
