package io.ambientjava.meshctl.local;

import io.ambientjava.meshctl.output.OutputFormat;
import io.ambientjava.meshctl.output.Table;
import io.ambientjava.meshctl.output.YamlOutput;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options and output of the local mesh's list commands ({@code pod list}, {@code local waypoint list}):
 * {@code -n NAMESPACE} (default: all) and {@code -o table|json}; prints JSON, else a table, else "No pods." /
 * "No pods in namespace x.".
 */
public final class ListingOptions {

    @Option(
            names = {"-n", "--namespace"},
            description = "Only this namespace (default: all).")
    String namespace;

    @Option(
            names = {"-o", "--output"},
            defaultValue = "table",
            description = "table or json (default: ${DEFAULT-VALUE}).")
    OutputFormat format;

    /** Checks the format before {@code items} asks the supervisor, then prints those of the namespace. */
    <T> void print(
            CommandSpec spec,
            String plural,
            Supplier<List<T>> items,
            Function<T, String> namespaceOf,
            Function<List<T>, Table> table)
            throws IOException {
        if (format == OutputFormat.YAML) {
            throw new ParameterException(spec.commandLine(), "-o yaml is not supported here; use table or json");
        }
        List<T> shown = items.get().stream()
                .filter(item -> namespace == null || namespaceOf.apply(item).equals(namespace))
                .toList();
        PrintWriter out = spec.commandLine().getOut();
        if (format == OutputFormat.JSON) {
            out.println(YamlOutput.valueJson(shown));
        } else if (shown.isEmpty()) {
            out.println(namespace == null ? "No " + plural + "." : "No " + plural + " in namespace " + namespace + ".");
        } else {
            out.print(table.apply(shown).render());
        }
        out.flush();
    }
}
