package io.ambientjava.testing.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A long-running command started inside a namespace; stdout and stderr go to a log file. Stopped (TERM,
 * then KILL after 5 s) when the topology is torn down, or earlier by {@link #close()}.
 */
public final class StartedProcess implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final Path log;

    StartedProcess(List<String> command, Process process, Path log) {
        this.command = List.copyOf(command);
        this.process = process;
        this.log = log;
    }

    public Process process() {
        return process;
    }

    public List<String> command() {
        return command;
    }

    /** What the process printed so far (stdout and stderr interleaved). */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "<log unreadable: " + e.getMessage() + ">";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
