package io.ambientjava.waypoint.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogWriterTest {

    /** Records each write call, to see how lines were grouped. */
    private static final class WriteRecorder extends PrintStream {
        final List<String> writes = new ArrayList<>();

        WriteRecorder() {
            super(new ByteArrayOutputStream(), false, StandardCharsets.UTF_8);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) {
            writes.add(new String(buf, off, len, StandardCharsets.UTF_8));
        }

        synchronized List<String> writes() {
            return List.copyOf(writes);
        }
    }

    @Test
    void withABatchIntervalLinesOfOneIntervalGoOutInOneWrite() {
        WriteRecorder stdout = new WriteRecorder();
        try (AccessLogWriter writer = new AccessLogWriter(stdout, Duration.ofMillis(300))) {
            for (int i = 0; i < 50; i++) {
                writer.write("/dev/stdout", "line " + i + "\n");
            }
            writer.flush(5000);
            assertThat(String.join("", stdout.writes()))
                    .startsWith("line 0\nline 1\n")
                    .endsWith("line 49\n");
            assertThat(stdout.writes().size()).isLessThanOrEqualTo(2); // one per interval the 50 lines spanned
        }
    }

    @Test
    void anIdleBatchingWriterWaitsForALineInsteadOfWakingEveryInterval() throws Exception {
        WriteRecorder stdout = new WriteRecorder();
        try (AccessLogWriter writer = new AccessLogWriter(stdout, Duration.ofMillis(20))) {
            writer.write("/dev/stdout", "one\n");
            writer.flush(5000);
            Thread sink = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("access-log /dev/stdout"))
                    .findFirst()
                    .orElseThrow();
            List<Thread.State> seen = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Thread.sleep(15);
                seen.add(sink.getState());
            }
            // parked in the queue's take (WAITING), not sleeping an interval (TIMED_WAITING) over and over
            assertThat(seen).containsOnly(Thread.State.WAITING);
            writer.write("/dev/stdout", "two\n");
            writer.flush(5000);
            assertThat(String.join("", stdout.writes())).isEqualTo("one\ntwo\n");
        }
    }

    @Test
    void withoutAnIntervalEveryLineIsWrittenAsItComes() throws Exception {
        WriteRecorder stdout = new WriteRecorder();
        try (AccessLogWriter writer = new AccessLogWriter(stdout)) {
            writer.write("/dev/stdout", "first\n");
            writer.flush(5000);
            assertThat(stdout.writes()).containsExactly("first\n");
        }
    }

    @Test
    void filesAreAppendedToAndCreatedWithTheirFolder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("logs/access.log");
        try (AccessLogWriter writer = new AccessLogWriter(System.out, Duration.ofMillis(50))) {
            writer.write(file.toString(), "a\n");
            writer.write(file.toString(), "b\n");
            writer.flush(5000);
        }
        assertThat(Files.readAllLines(file)).containsExactly("a", "b");
    }

    @Test
    void aNegativeIntervalIsRefused() {
        assertThatThrownBy(() -> new AccessLogWriter(System.out, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batchInterval must not be negative");
    }
}
