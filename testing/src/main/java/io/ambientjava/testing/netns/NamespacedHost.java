package io.ambientjava.testing.netns;

import io.ambientjava.testing.HostEnvironment;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** A node or a pod of a {@link NetnsTopology}: something with its own network namespace. */
public abstract sealed class NamespacedHost permits Node, Pod {
    static final String IP = HostEnvironment.findOnPath("ip").map(File::getPath).orElse("ip");
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final NetnsTopology topology;
    private final String netnsName;

    NamespacedHost(NetnsTopology topology, String netnsName) {
        this.topology = topology;
        this.netnsName = netnsName;
    }

    NetnsTopology topology() {
        return topology;
    }

    /** The namespace's name as {@code ip netns list} shows it. */
    public String netnsName() {
        return netnsName;
    }

    /** The bind-mounted namespace file, e.g. {@code /var/run/netns/aj-...}: what ztunnel opens. */
    public Path netnsPath() {
        return Path.of("/var/run/netns", netnsName);
    }

    /** Runs a command inside the namespace ({@code ip netns exec}) and waits for it (at most 30 s). */
    public CommandResult exec(String... command) {
        return CommandRunner.run(inside(command));
    }

    /** Runs a long-lived command inside the namespace; it is stopped at teardown at the latest. */
    public StartedProcess start(String... command) {
        List<String> full = inside(command);
        try {
            Path log = Files.createTempFile(netnsName + "-", ".log");
            Process process = new ProcessBuilder(full)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            return topology.onTeardown(new StartedProcess(full, process, log));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", full), e);
        }
    }

    /**
     * Loads nftables rules ({@code nft -f} syntax) into the namespace. They go away with the namespace.
     *
     * @throws IllegalArgumentException when nft rejects them, with nft's own explanation
     */
    public void installNftables(String rules) {
        CommandResult result = CommandRunner.run(inside("nft", "-f", "-"), rules, CommandRunner.DEFAULT_TIMEOUT);
        if (!result.succeeded()) {
            throw new IllegalArgumentException("nft rejected the rules for " + this + ":\n"
                    + result.stderr().strip() + "\nrules were:\n" + rules);
        }
    }

    /**
     * Runs {@code work} on a fresh platform thread inside the namespace and returns its result. Sockets it
     * creates belong to the namespace for good. It must not start threads (they would inherit the
     * namespace).
     */
    public <T> T call(Callable<T> work) throws Exception {
        return InNetns.call(netnsPath(), work);
    }

    /** Starts an {@link EchoServer} on {@code port} (0: any free port) of every address in the namespace. */
    public EchoServer startEchoServer(int port) throws Exception {
        return topology.onTeardown(EchoServer.startIn(this, port));
    }

    /** Opens a TCP connection from inside the namespace (5 s connect timeout). The caller closes it. */
    public Socket connect(InetSocketAddress target) throws Exception {
        return call(() -> {
            Socket socket = new Socket();
            try {
                socket.connect(target, CONNECT_TIMEOUT_MILLIS);
                return socket;
            } catch (IOException e) {
                socket.close();
                throw new IOException("connect from " + this + " to " + target + " failed: " + e.getMessage(), e);
            }
        });
    }

    private List<String> inside(String... command) {
        if (command.length == 0) {
            throw new IllegalArgumentException("empty command for " + this);
        }
        List<String> full = new ArrayList<>(List.of(IP, "netns", "exec", netnsName));
        full.addAll(Arrays.asList(command));
        return full;
    }
}
