package io.ambientjava.meshctl.local;

import io.ambientjava.meshctl.output.OutputFormat;
import io.ambientjava.meshctl.output.Table;
import io.ambientjava.meshctl.output.YamlOutput;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;

/**
 * How the local mesh's list commands ({@code pod list}, {@code local waypoint list}) print what they found, already
 * narrowed to {@code -n NAMESPACE} when given: JSON, else a table, else "No pods." / "No pods in namespace x.".
 */
final class LocalListing {

    private LocalListing() {}

    static <T> void print(
            PrintWriter out,
            OutputFormat format,
            String namespace,
            String plural,
            List<T> items,
            Function<List<T>, Table> table)
            throws java.io.IOException {
        if (format == OutputFormat.JSON) {
            out.println(YamlOutput.valueJson(items));
        } else if (items.isEmpty()) {
            out.println(namespace == null ? "No " + plural + "." : "No " + plural + " in namespace " + namespace + ".");
        } else {
            out.print(table.apply(items).render());
        }
        out.flush();
    }
}
