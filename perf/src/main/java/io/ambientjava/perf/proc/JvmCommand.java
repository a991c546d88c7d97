package io.ambientjava.perf.proc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The start of a command line that runs a JVM with a benchmark's options, where options shaped {@code NAME=value}
 * are environment variables (e.g. {@code MALLOC_ARENA_MAX=2}): they go before java through {@code env}, which execs
 * java, so the process id stays the JVM's.
 */
public final class JvmCommand {

    private static final Pattern ENVIRONMENT = Pattern.compile("[A-Z_][A-Z0-9_]*=.*");

    private JvmCommand() {}

    /** {@code [env NAME=value ...] java <options>}, with {@code java} of the JDK running this benchmark. */
    public static List<String> start(List<String> options) {
        return start(Path.of(System.getProperty("java.home"), "bin", "java").toString(), options);
    }

    /** {@code [env NAME=value ...] <java> <options>}. */
    public static List<String> start(String java, List<String> options) {
        List<String> command = new ArrayList<>();
        List<String> environment =
                options.stream().filter(o -> ENVIRONMENT.matcher(o).matches()).toList();
        if (!environment.isEmpty()) {
            command.add("env");
            command.addAll(environment);
        }
        command.add(java);
        options.stream().filter(o -> !ENVIRONMENT.matcher(o).matches()).forEach(command::add);
        return command;
    }
}
