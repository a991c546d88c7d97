package io.ambientjava.perf.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child of {@code class-floor}: loads every class named in a file, one per line, without initialising any, lets
 * the heap and the C heap settle, and prints how many loaded and its own {@code /proc/self/status}. It uses nothing
 * but the JDK, so the classes it adds to the JVM are its own handful.
 */
public final class ClassFloorProbe {

    static final String STATUS_MARKER = "--- /proc/self/status";
    static final String LOADED_PREFIX = "loaded ";

    private ClassFloorProbe() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: ClassFloorProbe CLASS-NAMES-FILE");
            System.exit(2);
        }
        ClassLoader loader = ClassLoader.getSystemClassLoader();
        // Opens the jar (its central directory is held in memory) in every step, the empty one too, so the first
        // library read from it is not charged for that.
        loader.getResource("META-INF/MANIFEST.MF");
        int loaded = 0;
        List<String> failed = new ArrayList<>();
        for (String name : Files.readAllLines(Path.of(args[0]))) {
            if (name.isBlank()) {
                continue;
            }
            try {
                Class.forName(name.strip(), false, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                failed.add(name.strip());
            }
        }
        // Two collections with pauses longer than -XX:TrimNativeHeapInterval=2000, so the heap shrinks back and
        // the C heap that class parsing used is trimmed, as in a process that has run for a while.
        for (int i = 0; i < 2; i++) {
            System.gc();
            Thread.sleep(2_500);
        }
        System.out.println(LOADED_PREFIX + loaded + " failed " + failed.size()
                + (failed.isEmpty()
                        ? ""
                        : " (" + String.join(", ", failed.subList(0, Math.min(5, failed.size()))) + ")"));
        System.out.println(STATUS_MARKER);
        System.out.print(Files.readString(Path.of("/proc/self/status")));
    }
}
