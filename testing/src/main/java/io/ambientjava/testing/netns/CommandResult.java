package io.ambientjava.testing.netns;

import java.util.List;

/** What a finished command printed and how it exited. */
public record CommandResult(List<String> command, int exitCode, String stdout, String stderr) {

    public CommandResult {
        command = List.copyOf(command);
    }

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** Returns this result, or throws with the command line and its stderr when it failed. */
    public CommandResult orThrow() {
        if (!succeeded()) {
            throw new IllegalStateException(
                    "command failed (exit " + exitCode + "): " + String.join(" ", command) + "\n" + stderr.strip());
        }
        return this;
    }
}
