package io.ambientjava.meshctl.analyze;

import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshctl analyze -f FILE|DIR}: istiod-lite's validation without running istiod-lite. */
@Command(
        name = "analyze",
        mixinStandardHelpOptions = true,
        description = {
            "Validates Istio and Kubernetes YAML as istiod-lite reads it: one line per problem naming the file,"
                    + " document, resource, field and reason.",
            "Exits 1 when any error is found (warnings alone exit 0, unless --fail-on-warnings)."
        })
public final class AnalyzeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = {"-f", "--filename"},
            paramLabel = "FILE|DIR",
            description = "A YAML file, a folder read recursively, or - for standard input. Repeatable.")
    List<Path> files = new ArrayList<>();

    @Parameters(paramLabel = "FILE|DIR", arity = "0..*", description = "More files or folders.")
    List<Path> more = new ArrayList<>();

    @Option(names = "--fail-on-warnings", description = "Exit 1 on warnings too.")
    boolean failOnWarnings;

    @Option(names = "--quiet", description = "Print errors only, no warnings and no summary.")
    boolean quiet;

    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    @Override
    public Integer call() {
        List<Path> inputs = new ArrayList<>(files);
        inputs.addAll(more);
        if (inputs.isEmpty()) {
            throw new MeshctlException("analyze needs -f FILE|DIR");
        }
        Analyzer.Report report = new Analyzer().analyze(inputs);
        var out = spec.commandLine().getOut();
        for (ConfigProblem problem : report.problems()) {
            if (problem.isError() || !quiet) {
                out.println(problem.message());
            }
        }
        boolean failed = report.errors() > 0 || (failOnWarnings && report.warnings() > 0);
        if (!quiet) {
            if (report.problems().isEmpty()) {
                out.println("No validation issues found (" + count(report.resources(), "resource") + " in "
                        + count(report.files(), "file") + ").");
            } else {
                out.println(count(report.errors(), "error") + ", " + count(report.warnings(), "warning") + " ("
                        + count(report.resources(), "valid resource") + " in " + count(report.files(), "file") + ").");
            }
        }
        out.flush();
        if (failed) {
            spec.commandLine()
                    .getErr()
                    .println("meshctl: analyze found " + count(report.errors(), "error")
                            + (failOnWarnings ? " and " + count(report.warnings(), "warning") : ""));
            return ExitCodes.FAILED;
        }
        return ExitCodes.OK;
    }
}
