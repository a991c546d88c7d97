package io.ambientjava.meshctl;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs meshctl in-process and keeps what it printed. */
public record MeshctlRun(int exit, String out, String err) {

    public static MeshctlRun of(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Meshctl.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new MeshctlRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The stderr lines; a failure must have exactly one and no stack trace. */
    public java.util.List<String> errLines() {
        return err.lines().toList();
    }
}
