package io.ambientjava.waypoint.telemetry;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes access log lines off the event loops: one queue and one writer thread per destination
 * ({@code /dev/stdout}, {@code /dev/stderr} or a file, appended to and created when missing). A full queue drops
 * the line and counts it rather than stall a request.
 *
 * <p>With a batch interval (as Envoy flushes its access log files on a timer) the writer, once a line has come,
 * waits one interval and writes what came meanwhile in one write, instead of being woken for every line: at a
 * thousand requests a second that wake-up and write per line cost about a tenth of the waypoint's CPU. With no
 * lines it does not wake at all. Lines to stdout/stderr go out
 * as one write per batch, so they do not interleave with other output.
 */
public final class AccessLogWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    private static final int QUEUE = 16_384;

    private final Map<String, Sink> sinks = new ConcurrentHashMap<>();
    private final PrintStream stdout;
    private final Duration batchInterval;
    private final AtomicLong dropped = new AtomicLong();

    public AccessLogWriter() {
        this(System.out);
    }

    /** With {@code stdout} standing for {@code /dev/stdout} (tests capture it); every line written at once. */
    public AccessLogWriter(PrintStream stdout) {
        this(stdout, Duration.ZERO);
    }

    /** Lines are written once per {@code batchInterval} (zero: as they come). */
    public AccessLogWriter(PrintStream stdout, Duration batchInterval) {
        if (batchInterval.isNegative()) {
            throw new IllegalArgumentException("batchInterval must not be negative, was " + batchInterval);
        }
        this.stdout = stdout;
        this.batchInterval = batchInterval;
    }

    public void write(String path, String line) {
        Sink sink = sinks.computeIfAbsent(path, Sink::new);
        if (!sink.queue.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    /** Lines dropped because a destination could not keep up. */
    public long dropped() {
        return dropped.get();
    }

    /** Waits (bounded) until every queued line is written. */
    public void flush(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (Sink sink : sinks.values()) {
            while ((!sink.queue.isEmpty() || sink.busy) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        flush(2000 + batchInterval.toMillis());
        sinks.values().forEach(s -> s.thread.interrupt());
    }

    private final class Sink {
        final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE);
        final Thread thread;
        volatile boolean busy;
        private final String path;

        Sink(String path) {
            this.path = path;
            this.thread =
                    Thread.ofPlatform().daemon().name("access-log " + path).start(this::run);
        }

        private void run() {
            Writer out = null;
            List<String> batch = new ArrayList<>();
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    if (batchInterval.isZero()) {
                        String first = queue.take();
                        busy = true;
                        batch.add(first);
                    } else {
                        // Idle, it sleeps until a line comes (no timer wake-ups), then gathers for one interval.
                        String first = queue.take();
                        busy = true;
                        batch.add(first);
                        Thread.sleep(batchInterval);
                    }
                    queue.drainTo(batch, QUEUE);
                    if (!batch.isEmpty()) {
                        out = writeBatch(out, batch);
                        batch.clear();
                    }
                    busy = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                busy = false;
                if (out != null) {
                    try {
                        out.close();
                    } catch (IOException ignored) {
                        // closing on shutdown
                    }
                }
            }
        }

        /** Returns the file writer to use next (null after a failure, so the file is opened again). */
        private Writer writeBatch(Writer out, List<String> batch) {
            PrintStream console = switch (path) {
                case "/dev/stdout" -> stdout;
                case "/dev/stderr" -> System.err;
                default -> null;
            };
            if (console != null) {
                byte[] bytes = String.join("", batch).getBytes(StandardCharsets.UTF_8);
                console.write(bytes, 0, bytes.length); // one synchronized write: whole lines only
                console.flush();
                return null;
            }
            try {
                Writer file = out != null ? out : open();
                for (String line : batch) {
                    file.write(line);
                }
                file.flush();
                return file;
            } catch (IOException e) {
                log.warn("access log {}: {}", path, e.getMessage());
                return null;
            }
        }

        private Writer open() throws IOException {
            Path file = Path.of(path);
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            return new BufferedWriter(new OutputStreamWriter(
                    Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                    StandardCharsets.UTF_8));
        }
    }
}
