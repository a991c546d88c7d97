package io.ambientjava.perf.memory;

import io.ambientjava.perf.proc.JvmCommand;
import io.ambientjava.perf.proc.MemoryStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures the resident memory a JVM needs just to hold a set of classes: each step runs {@link ClassFloorProbe} in a
 * fresh JVM with the given options and a class path of the probe and one jar.
 */
public final class ClassFloor {

    private static final Pattern LOADED = Pattern.compile("loaded (\\d+) failed (\\d+)(?: \\((.*)\\))?");
    private static final long STEP_TIMEOUT_SECONDS = 120;

    /**
     * One step's result: {@code loaded} of {@code classes} loaded, the first few that did not, and the child's memory
     * after settling.
     */
    public record Measurement(
            String label, int classes, int loaded, int failed, List<String> notFound, MemoryStatus memory) {}

    private final Path jar;
    private final List<String> jvmOptions;

    public ClassFloor(Path jar, List<String> jvmOptions) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("class floor: no jar at " + jar);
        }
        this.jar = jar.toAbsolutePath();
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    public List<Measurement> measure(List<LibraryGroup.Step> steps) throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("ambient-class-floor-");
        try {
            Path probeRoot = work.resolve("probe");
            copyProbeClass(probeRoot);
            List<Measurement> results = new ArrayList<>();
            int n = 0;
            for (LibraryGroup.Step step : steps) {
                Path names = work.resolve("step-" + n++ + ".txt");
                Files.write(names, step.classNames());
                results.add(run(step, probeRoot, names));
            }
            return results;
        } finally {
            deleteTree(work);
        }
    }

    List<String> command(Path probeRoot, Path names) {
        List<String> command = new ArrayList<>(JvmCommand.start(jvmOptions));
        command.addAll(List.of(
                "-cp",
                probeRoot + java.io.File.pathSeparator + jar,
                ClassFloorProbe.class.getName(),
                names.toString()));
        return command;
    }

    private Measurement run(LibraryGroup.Step step, Path probeRoot, Path names)
            throws IOException, InterruptedException {
        Process child = new ProcessBuilder(command(probeRoot, names))
                .redirectErrorStream(true)
                .start();
        String output;
        try (InputStream in = child.getInputStream()) {
            if (!child.waitFor(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(
                        "class floor: the probe for '" + step.label() + "' ran over " + STEP_TIMEOUT_SECONDS + " s");
            }
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            child.destroyForcibly();
        }
        return parse(step, child.exitValue(), output);
    }

    static Measurement parse(LibraryGroup.Step step, int exit, String output) {
        int marker = output.indexOf(ClassFloorProbe.STATUS_MARKER);
        Matcher loaded = output.lines()
                .map(LOADED::matcher)
                .filter(Matcher::matches)
                .findFirst()
                .orElse(null);
        if (exit != 0 || marker < 0 || loaded == null) {
            throw new IllegalStateException("class floor: the probe for '" + step.label() + "' exited " + exit
                    + " without its figures; it printed:\n" + output.strip());
        }
        return new Measurement(
                step.label(),
                step.classNames().size(),
                Integer.parseInt(loaded.group(1)),
                Integer.parseInt(loaded.group(2)),
                loaded.group(3) == null ? List.of() : List.of(loaded.group(3).split(", ")),
                MemoryStatus.parseStatus(output.substring(marker + ClassFloorProbe.STATUS_MARKER.length())));
    }

    private static void copyProbeClass(Path root) throws IOException {
        String resource = ClassFloorProbe.class.getName().replace('.', '/') + ".class";
        Path target = root.resolve(resource);
        Files.createDirectories(target.getParent());
        try (InputStream in = ClassFloorProbe.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("class floor: " + resource + " is not on this class path");
            }
            Files.copy(in, target);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
