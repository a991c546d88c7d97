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
 */
public final class AccessLogWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    private static final int QUEUE = 16_384;

    private final Map<String, Sink> sinks = new ConcurrentHashMap<>();
    private final PrintStream stdout;
    private final AtomicLong dropped = new AtomicLong();

    public AccessLogWriter() {
        this(System.out);
    }

    /** With {@code stdout} standing for {@code /dev/stdout} (tests capture it). */
    public AccessLogWriter(PrintStream stdout) {
        this.stdout = stdout;
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
                Thread.onSpinWait();
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
        flush(2000);
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
                    String first = queue.take();
                    busy = true;
                    batch.add(first);
                    queue.drainTo(batch, 1024);
                    try {
                        if (out == null) {
                            out = open();
                        }
                        for (String line : batch) {
                            out.write(line);
                        }
                        out.flush();
                    } catch (IOException e) {
                        log.warn("access log {}: {}", path, e.getMessage());
                        out = null;
                    }
                    batch.clear();
                    busy = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                busy = false;
                if (out != null && !path.equals("/dev/stdout") && !path.equals("/dev/stderr")) {
                    try {
                        out.close();
                    } catch (IOException ignored) {
                        // closing on shutdown
                    }
                }
            }
        }

        private Writer open() throws IOException {
            return switch (path) {
                case "/dev/stdout" -> new OutputStreamWriter(stdout, StandardCharsets.UTF_8);
                case "/dev/stderr" -> new OutputStreamWriter(System.err, StandardCharsets.UTF_8);
                default -> {
                    Path file = Path.of(path);
                    if (file.getParent() != null) {
                        Files.createDirectories(file.getParent());
                    }
                    yield new BufferedWriter(new OutputStreamWriter(
                            Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                            StandardCharsets.UTF_8));
                }
            };
        }
    }
}
