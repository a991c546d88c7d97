package io.ambientjava.cni.install;

import io.ambientjava.cni.AgentClientEnrollment;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The node agent's {@code install} and {@code uninstall} subcommands. */
public final class InstallCommands {
    private InstallCommands() {}

    /** Options both subcommands share. */
    static class Locations {
        @Option(names = "--cni-bin-dir", description = "CNI plugin binaries (default: ${DEFAULT-VALUE})")
        Path binDir = Path.of("/opt/cni/bin");

        @Option(names = "--cni-net-dir", description = "CNI network configurations (default: ${DEFAULT-VALUE})")
        Path netDir = Path.of("/etc/cni/net.d");

        @Option(
                names = "--plugin-socket",
                description = "where the node agent listens for the plugin (default: ${DEFAULT-VALUE})")
        Path agentSocket = AgentClientEnrollment.DEFAULT_SOCKET;

        CniInstaller installer(boolean trainCache, CniInstaller.Launcher launcher) {
            return new CniInstaller(new CniInstaller.Settings(
                    binDir, netDir, agentSocket, CniInstaller.currentJava(), trainCache, launcher));
        }
    }

    @Command(
            name = "install",
            mixinStandardHelpOptions = true,
            description = "Install the ambient-cni launcher and chain it into the node's primary CNI config.")
    public static final class Install extends Locations implements Callable<Integer> {
        @Option(names = "--no-aot-cache", description = "skip the AOT cache training run (the plugin starts slower)")
        boolean noCache;

        @Option(
                names = "--launcher",
                description = "JVM: a shell launcher over a short-lived JVM; NATIVE: a small binary forwarding the"
                        + " call to the agent (no JVM start per pod) (default: ${DEFAULT-VALUE})")
        CniInstaller.Launcher launcher = CniInstaller.Launcher.JVM;

        @Override
        public Integer call() throws Exception {
            CniInstaller.Installed installed = installer(!noCache, launcher).install();
            System.out.println("installed " + installed.launcher() + " (AOT cache "
                    + (installed.cacheCreated() ? "made" : "not made") + "), chained in " + installed.config());
            return 0;
        }
    }

    @Command(
            name = "uninstall",
            mixinStandardHelpOptions = true,
            description = "Remove ambient-cni from the CNI configs and the bin dir.")
    public static final class Uninstall extends Locations implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            System.out.println("uninstalled; configs changed: "
                    + installer(false, CniInstaller.Launcher.JVM).uninstall());
            return 0;
        }
    }
}
