package io.ambientjava.meshctl;

import io.ambientjava.meshctl.admin.ProxyConfigCommand;
import io.ambientjava.meshctl.admin.ZtunnelConfigCommand;
import io.ambientjava.meshctl.analyze.AnalyzeCommand;
import io.ambientjava.meshctl.install.InstallCommand;
import io.ambientjava.meshctl.local.ApplyCommand;
import io.ambientjava.meshctl.local.DeleteCommand;
import io.ambientjava.meshctl.local.DemoCommand;
import io.ambientjava.meshctl.local.LabelCommand;
import io.ambientjava.meshctl.local.LocalCommand;
import io.ambientjava.meshctl.local.PodCommand;
import io.ambientjava.meshctl.waypoint.WaypointCommand;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code meshctl}: the command line of ambient-java. Every failure ends with one line on stderr and a non-zero exit
 * ({@link ExitCodes}); the stack trace is shown only with {@code --verbose}.
 */
@Command(
        name = "meshctl",
        mixinStandardHelpOptions = true,
        versionProvider = MeshctlVersion.class,
        description = "Installs, inspects and configures ambient-java (Istio ambient mode in Java).",
        subcommands = {
            InstallCommand.class,
            DemoCommand.class,
            LocalCommand.class,
            ApplyCommand.class,
            DeleteCommand.class,
            LabelCommand.class,
            PodCommand.class,
            AnalyzeCommand.class,
            WaypointCommand.class,
            ZtunnelConfigCommand.class,
            ProxyConfigCommand.class,
            AutoComplete.GenerateCompletion.class,
            CommandLine.HelpCommand.class
        })
public final class Meshctl implements Runnable {

    @Option(
            names = {"-v", "--verbose"},
            scope = ScopeType.INHERIT,
            description = "Show the stack trace of an error (logging: MESHCTL_LOG_LEVEL=debug|info|warn).")
    boolean verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "a command is required (install, analyze, waypoint, ztunnel-config, ...)");
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line; returns the exit code. Output goes to {@code out}, diagnostics to {@code err}. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine commandLine = commandLine(out, err);
        return commandLine.execute(args);
    }

    /** The configured command line, also used by tests and by completion-script generation. */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        Meshctl root = new Meshctl();
        CommandLine commandLine = new CommandLine(root);
        commandLine.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        commandLine.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr()
                    .println("meshctl: " + e.getMessage() + " (see "
                            + failed.getCommandSpec().qualifiedName() + " --help)");
            if (root.verbose) {
                e.printStackTrace(failed.getErr());
            }
            return ExitCodes.USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, failed, parseResult) -> {
            failed.getErr().println("meshctl: " + OneLineMessage.of(e));
            if (root.verbose) {
                e.printStackTrace(failed.getErr());
            }
            return e instanceof MeshctlException m ? m.exitCode() : ExitCodes.FAILED;
        });
        // The hidden generate-completion command prints a bash/zsh completion script.
        commandLine
                .getSubcommands()
                .get("generate-completion")
                .getCommandSpec()
                .usageMessage()
                .hidden(false);
        return commandLine;
    }
}
