package io.ambientjava.perf.bench;

import io.ambientjava.perf.net.HostPort;
import io.ambientjava.perf.proc.ClockTicks;
import io.ambientjava.perf.proc.MemoryStatus;
import io.ambientjava.perf.proc.ProcFiles;
import io.ambientjava.perf.tunnel.TunnelKind;
import io.ambientjava.perf.tunnel.TunnelProcessMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A tunnel running in its own JVM, so that its CPU time and memory can be read from {@code /proc} apart from the
 * load generator's. The child ends when its standard input closes; {@link #close()} closes it and, if the child
 * lingers, kills it. A shutdown hook kills any child still alive when the benchmark JVM exits.
 */
public final class TunnelChild implements AutoCloseable {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(Thread.ofPlatform()
                        .name("kill-tunnel-children")
                        .unstarted(() -> LIVE.forEach(Process::destroyForcibly)));
    }

    private final Process process;
    private final InetSocketAddress entryAddress;
    private final ProcFiles proc = ProcFiles.system();

    private TunnelChild(Process process, InetSocketAddress entryAddress) {
        this.process = process;
        this.entryAddress = entryAddress;
    }

    /** The command line that starts a child (exposed for the report). */
    public static List<String> command(
            TunnelKind kind, InetSocketAddress target, int threadsPerSide, List<String> jvmOptions, Duration lifetime) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(TunnelProcessMain.class.getName());
        command.add(kind.name().toLowerCase(Locale.ROOT));
        command.add(HostPort.format(target));
        command.add(Integer.toString(threadsPerSide));
        command.add(Long.toString(Math.max(1, lifetime.toSeconds())));
        return command;
    }

    /** Starts the child and waits (at most {@code readyTimeout}) until it reports its entry address. */
    public static TunnelChild start(List<String> command, Duration readyTimeout, PrintStream childLog)
            throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        LIVE.add(process);
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<InetSocketAddress> ready = new CompletableFuture<>();
            Thread.ofPlatform().daemon().name("tunnel-child-stdout").start(() -> {
                try {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (!ready.isDone() && line.startsWith(TunnelProcessMain.READY_PREFIX)) {
                            ready.complete(HostPort.parse(line.substring(TunnelProcessMain.READY_PREFIX.length())));
                        } else {
                            childLog.println("tunnel: " + line);
                        }
                    }
                    ready.completeExceptionally(new IOException(
                            "tunnel child exited before it was ready (exit code " + process.waitFor() + ")"));
                } catch (IOException | RuntimeException e) {
                    ready.completeExceptionally(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    ready.completeExceptionally(e);
                }
            });
            InetSocketAddress entry = ready.get(readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return new TunnelChild(process, entry);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            kill(process);
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IOException("tunnel child did not become ready within " + readyTimeout + ": " + cause, cause);
        } catch (InterruptedException e) {
            kill(process);
            throw e;
        }
    }

    public InetSocketAddress entryAddress() {
        return entryAddress;
    }

    public long pid() {
        return process.pid();
    }

    /** CPU seconds (user + system) the child has used so far. */
    public double cpuSeconds() {
        return proc.cpu(process.pid()).totalSeconds(ClockTicks.perSecond());
    }

    public MemoryStatus memory() {
        return proc.memory(process.pid());
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close(); // end of input: the child shuts down by itself
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill(process);
            }
        } catch (IOException e) {
            kill(process);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
        } finally {
            LIVE.remove(process);
        }
    }

    private static void kill(Process process) {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LIVE.remove(process);
    }
}
