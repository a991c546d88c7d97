package io.ambientjava.perf.mesh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.stream.Stream;

/**
 * Pin roots ({@code <prefix><pid>}) left by benchmark runs that were killed before they could remove them: a root
 * whose pid no longer runs is handed to {@code uninstall}. Roots of running processes are left alone, so two runs
 * side by side do not undo each other.
 */
final class StalePinRoots {

    private StalePinRoots() {}

    /** Uninstalls every stale root under {@code bpfRoot}; returns the ones it removed. */
    static List<Path> sweep(Path bpfRoot, String prefix, LongPredicate running, Consumer<Path> uninstall) {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(bpfRoot)) {
            return removed;
        }
        try (Stream<Path> entries = Files.list(bpfRoot)) {
            for (Path root : entries.toList()) {
                OptionalLong pid = pidOf(root.getFileName().toString(), prefix);
                if (pid.isPresent() && !running.test(pid.getAsLong())) {
                    uninstall.accept(root);
                    removed.add(root);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + bpfRoot, e);
        }
        return removed;
    }

    static boolean running(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static OptionalLong pidOf(String name, String prefix) {
        if (!name.startsWith(prefix) || name.length() == prefix.length()) {
            return OptionalLong.empty();
        }
        String digits = name.substring(prefix.length());
        for (int i = 0; i < digits.length(); i++) {
            if (!Character.isDigit(digits.charAt(i))) {
                return OptionalLong.empty();
            }
        }
        try {
            return OptionalLong.of(Long.parseLong(digits));
        } catch (NumberFormatException tooLong) {
            return OptionalLong.empty();
        }
    }
}
