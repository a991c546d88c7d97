package io.ambientjava.cni.redirect;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a program inside a network namespace given by path ({@code nsenter --net=PATH}), with a time limit. */
final class NetnsCommand {
    private static final long TIMEOUT_SECONDS = 10;

    record Result(int exitCode, String stdout, String stderr) {
        boolean succeeded() {
            return exitCode == 0;
        }
    }

    private NetnsCommand() {}

    /** Runs {@code command} in {@code netns}, feeding it {@code stdin} (may be empty). */
    static Result run(Path netns, String stdin, String... command) {
        if (!Files.exists(netns)) {
            throw new RedirectionException("network namespace " + netns + " does not exist");
        }
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--"));
        full.addAll(List.of(command));
        Process process;
        try {
            process = new ProcessBuilder(full).start();
        } catch (IOException e) {
            throw new RedirectionException("cannot start " + String.join(" ", full) + ": " + e.getMessage(), e);
        }
        try {
            CompletableFuture<String> out = drain(process.getInputStream());
            CompletableFuture<String> err = drain(process.getErrorStream());
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new RedirectionException(
                        String.join(" ", full) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(process.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            process.destroyForcibly();
            throw new RedirectionException("running " + String.join(" ", full) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new RedirectionException("interrupted while running " + String.join(" ", full), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }
}
