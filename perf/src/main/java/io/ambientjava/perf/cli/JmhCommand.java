package io.ambientjava.perf.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code jmh}: runs JMH's own command line. {@link io.ambientjava.perf.PerfMain} hands it every argument after
 * {@code jmh} verbatim (JMH's options are not ours to parse); this class gives the subcommand its help text.
 */
@Command(
        name = "jmh",
        description = {
            "Runs the JMH microbenchmarks in this jar; every following argument goes to JMH unchanged.",
            "Examples: jmh -l    jmh -prof gc HboneForwarding    jmh -h"
        })
public final class JmhCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "JMH_ARG", description = "Arguments for JMH.")
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        run(arguments);
        return 0;
    }

    public static void run(List<String> arguments) throws Exception {
        org.openjdk.jmh.Main.main(arguments.toArray(String[]::new));
    }
}
