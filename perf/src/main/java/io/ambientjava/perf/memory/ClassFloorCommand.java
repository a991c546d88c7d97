package io.ambientjava.perf.memory;

import io.ambientjava.perf.l7.L7Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code class-floor}: how much of a proxy's resident memory its classes alone take, library by library. */
@Command(
        name = "class-floor",
        mixinStandardHelpOptions = true,
        description = {
            "Loads the classes a JVM process loaded (from its -Xlog:class+load file) into fresh JVMs with the same"
                    + " options, library by library (the JDK, Netty, gRPC/protobuf/Guava, the Envoy API, the rest),"
                    + " without initialising them, serving anything or compiling anything, and reports each JVM's"
                    + " RSS: the floor under the process's own.",
            "Record the log with: ambient-perf l7 --variants waypoint --waypoint-extra-jvm-opts"
                    + " \"-Xlog:class+load:file=/tmp/waypoint-classes.log\""
        })
public final class ClassFloorCommand implements Callable<Integer> {

    @Option(
            names = "--class-log",
            required = true,
            paramLabel = "FILE",
            description = "The process's -Xlog:class+load output.")
    Path classLog;

    @Option(names = "--jar", paramLabel = "FILE", description = "Default: waypoint/target/waypoint.jar.")
    Path jar;

    @Option(
            names = "--jvm-opts",
            paramLabel = "OPTIONS",
            description = "JVM options of every probe, space-separated (default: the l7 benchmark's waypoint options).")
    String jvmOptions;

    @Option(
            names = "--target-mib",
            description = "A resident memory target to set the result against (default 96, the waypoint's).")
    double targetMib = 96;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the Markdown report here.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(classLog)) {
            System.err.println("class-floor: no class log at " + classLog);
            return 2;
        }
        Path chosenJar = L7Command.jar(jar, "waypoint/target/waypoint.jar", "waypoint");
        List<String> options = jvmOptions != null
                ? Arrays.stream(jvmOptions.strip().split("\\s+"))
                        .filter(s -> !s.isEmpty())
                        .toList()
                : L7Command.WAYPOINT_JVM_OPTIONS;
        ClassLoadLog log = ClassLoadLog.parse(Files.readAllLines(classLog), classLog.toString());
        List<ClassFloor.Measurement> results = new ClassFloor(chosenJar, options)
                .measure(LibraryGroup.cumulativeSteps(LibraryGroup.WAYPOINT_STACK, log.classNames()));
        String table = markdown(chosenJar, options, results, targetMib);
        System.out.println(table);
        if (out != null) {
            Files.writeString(out, table);
            System.err.println("class-floor: written to " + out);
        }
        return 0;
    }

    static String markdown(Path jar, List<String> options, List<ClassFloor.Measurement> results, double targetMib) {
        StringBuilder md = new StringBuilder();
        md.append("### Class floor: ")
                .append(jar.getFileName())
                .append(" (")
                .append(Instant.now())
                .append(")\n\n");
        md.append("| classes loaded | classes | RSS (MiB) | added by the step (MiB) |\n|---|---|---|---|\n");
        double previous = Double.NaN;
        for (ClassFloor.Measurement m : results) {
            double rss = m.memory().residentBytes() / 1048576.0;
            md.append("| ").append(m.label()).append(" | ").append(String.format(Locale.ROOT, "%,d", m.loaded()));
            if (m.failed() > 0) {
                md.append(" (").append(m.failed()).append(" not found)");
            }
            md.append(" | ").append(String.format(Locale.ROOT, "%.1f", rss)).append(" | ");
            md.append(Double.isNaN(previous) ? "—" : String.format(Locale.ROOT, "%+.1f", rss - previous));
            md.append(" |\n");
            previous = rss;
        }
        results.stream()
                .flatMap(m -> m.notFound().stream())
                .distinct()
                .forEach(name -> md.append("\nNot found in the jar or the JDK: `")
                        .append(name)
                        .append("`\n"));
        md.append("\nWith every class loaded and nothing else done: ")
                .append(String.format(Locale.ROOT, "%.1f MiB", previous))
                .append(" against a target of ")
                .append(String.format(Locale.ROOT, "%.0f MiB", targetMib))
                .append(".\n\nJVM options: `")
                .append(String.join(" ", options))
                .append("`\n");
        return md.toString();
    }
}
