package io.ambientjava.perf;

import io.ambientjava.perf.cli.JmhCommand;
import io.ambientjava.perf.cli.TunnelCommand;
import io.ambientjava.perf.controlplane.ControlPlaneCommand;
import io.ambientjava.perf.l7.L7Command;
import io.ambientjava.perf.memory.ClassFloorCommand;
import io.ambientjava.perf.mesh.MeshCommand;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar ambient-perf.jar <tunnel|jmh|mesh|control-plane|l7> ...}. */
@Command(
        name = "ambient-perf",
        mixinStandardHelpOptions = true,
        version = "ambient-perf 0.1.0-SNAPSHOT",
        description = "ambient-java performance suite.",
        subcommands = {
            TunnelCommand.class,
            JmhCommand.class,
            MeshCommand.class,
            ControlPlaneCommand.class,
            L7Command.class,
            ClassFloorCommand.class
        })
public final class PerfMain implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            JmhCommand.run(Arrays.asList(args).subList(1, args.length));
            return;
        }
        System.exit(new CommandLine(new PerfMain()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
