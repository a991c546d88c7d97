package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A short-lived host program (ip, nft, curl, ...) run to completion, optionally inside a network namespace. */
public record HostCommand(List<String> argv) {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** What a finished command printed and how it exited. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        public Result orThrow(List<String> argv) {
            if (exitCode != 0) {
                throw new IllegalStateException(
                        String.join(" ", argv) + " failed (exit " + exitCode + "): " + stderr.strip());
            }
            return this;
        }
    }

    public static HostCommand of(String... argv) {
        return new HostCommand(List.of(argv));
    }

    /** The command run inside {@code netns} (nsenter execs it, so no extra process stays around). */
    public static HostCommand inNetns(Path netns, String... argv) {
        List<String> all = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--"));
        all.addAll(List.of(argv));
        return new HostCommand(all);
    }

    public Result run() {
        return run(TIMEOUT);
    }

    /** Runs it, killing it (and failing) when it takes longer than {@code timeout}. */
    public Result run(Duration timeout) {
        try {
            Process process = new ProcessBuilder(argv).start();
            process.getOutputStream().close();
            CompletableFuture<String> out = drain(process.getInputStream());
            CompletableFuture<String> err = drain(process.getErrorStream());
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + " did not finish within " + timeout);
            }
            return new Result(process.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", argv), e);
        }
    }

    /** Runs it and fails with its stderr when it exits non-zero. */
    public Result check() {
        return run().orThrow(argv);
    }

    static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.complete("");
            }
        });
        return text;
    }
}
