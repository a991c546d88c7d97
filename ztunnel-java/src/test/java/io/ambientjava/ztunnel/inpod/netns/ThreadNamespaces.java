package io.ambientjava.ztunnel.inpod.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Which of this JVM's threads are in a network namespace other than the host's (for leak checks). */
final class ThreadNamespaces {
    private ThreadNamespaces() {}

    /**
     * Threads of this process outside {@code home}, as "name (tid) in net:[...]", skipping the test
     * support's one-shot threads (named {@code in-netns-...}, they end in the pod) and vanished threads.
     */
    static List<String> threadsOutside(NetnsId home) throws IOException {
        List<String> outside = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    NetnsId id = Libc.fileId(task.resolve("ns/net").toString());
                    if (!id.equals(home) && !name.startsWith("in-netns-")) {
                        outside.add(name + " (" + task.getFileName() + ") in " + id);
                    }
                } catch (IOException threadEnded) {
                    // Gone between listing and reading.
                }
            }
        }
        return outside;
    }
}
