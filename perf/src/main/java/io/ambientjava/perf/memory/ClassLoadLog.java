package io.ambientjava.perf.memory;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The classes a JVM loaded by name, read from its {@code -Xlog:class+load} output. Hidden classes (lambdas, lambda
 * forms, string concatenation shapes) and generated reflection stubs are left out: they have no name another JVM
 * could load them by.
 */
public record ClassLoadLog(List<String> classNames) {

    private static final String TAG = "[class,load] ";

    public ClassLoadLog {
        classNames = List.copyOf(classNames);
    }

    /**
     * Reads the log's lines; other lines (another tag, a truncated last line) are skipped.
     *
     * @throws IllegalArgumentException when no line is a class+load line
     */
    public static ClassLoadLog parse(List<String> lines, String source) {
        Set<String> names = new LinkedHashSet<>();
        int classLines = 0;
        for (String line : lines) {
            int at = line.indexOf(TAG);
            if (at < 0) {
                continue;
            }
            classLines++;
            String rest = line.substring(at + TAG.length()).strip();
            int end = rest.indexOf(' ');
            String name = end < 0 ? rest : rest.substring(0, end);
            if (loadableByName(name)) {
                names.add(name);
            }
        }
        if (classLines == 0) {
            throw new IllegalArgumentException(
                    source + " has no " + TAG.strip() + " line: record it with -Xlog:class+load:file=" + source);
        }
        return new ClassLoadLog(List.copyOf(names));
    }

    static boolean loadableByName(String name) {
        return !name.isEmpty()
                && !name.contains("/0x")
                && !name.contains("$$Lambda")
                && !name.contains("LambdaForm$")
                && !name.startsWith("jdk.internal.reflect.Generated")
                && !name.startsWith("jdk.proxy")
                && !name.contains(".$Proxy");
    }
}
