package io.ambientjava.testing.netns;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a piece of test code on a fresh platform thread that has entered a network namespace.
 *
 * <p>The thread never returns to the host namespace: it ends when the work is done, so nothing else can
 * run in the wrong namespace by accident. That costs a thread start per call, which tests can afford.
 * (ztunnel itself has a pooled, verified executor; the test support cannot depend on it, so it keeps this
 * deliberately minimal copy of the three system calls involved.)
 *
 * <p>The work must only create sockets (and may use them). It must not start threads: a thread started
 * from inside inherits the namespace, and a pooled one (a virtual-thread carrier, a Netty event loop)
 * would keep it for the rest of the JVM's life.
 */
@SuppressWarnings("restricted") // Native access is the point of this class.
final class InNetns {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = downcall(
            "open",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS =
            downcall("setns", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE =
            downcall("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private InNetns() {}

    static <T> T call(Path netns, Callable<T> work) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().name("in-netns-" + netns.getFileName()).daemon().start(() -> {
            try {
                enter(netns);
                result.complete(work.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new TimeoutException("work inside " + netns + " did not finish within " + TIMEOUT);
        }
    }

    private static void enter(Path netns) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(netns.toString()), O_RDONLY | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new IllegalStateException("cannot open " + netns + ": " + errorText(capture));
            }
            int rc = (int) SETNS.invokeExact(capture, fd, CLONE_NEWNET);
            String failure = rc < 0 ? errorText(capture) : null;
            int ignored = (int) CLOSE.invokeExact(capture, fd);
            if (failure != null) {
                throw new IllegalStateException("cannot enter network namespace " + netns + ": setns: " + failure);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("native call failed", e);
        }
    }

    private static String errorText(MemorySegment capture) throws Throwable {
        int errno = (int) ERRNO.get(capture, 0L);
        MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
        return text.reinterpret(Long.MAX_VALUE).getString(0) + " (errno " + errno + ")";
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, all);
    }
}
