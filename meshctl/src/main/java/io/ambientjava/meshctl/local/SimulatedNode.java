package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One simulated node: a network namespace holding the node's pod bridge (the reference {@code bridge} plugin with
 * {@code host-local} IPAM on 198.18.{@code index}.0/24), a CNI bin dir and net.d of its own, and the node's
 * primary network configuration list there, ready for our plugin to be chained after it.
 */
public final class SimulatedNode {
    private final String name;
    private final int index;
    private final String netnsName;
    private final String bridge;
    private final Path dir;

    private SimulatedNode(String name, int index, String netnsName, String bridge, Path dir) {
        this.name = name;
        this.index = index;
        this.netnsName = netnsName;
        this.bridge = bridge;
        this.dir = dir;
    }

    /** Makes the namespace and the node's files; registers their removal. */
    public static SimulatedNode create(String prefix, String name, int index, Path meshDir, Teardown teardown)
            throws IOException {
        String netnsName = prefix + "-" + name;
        SimulatedNode node = new SimulatedNode(
                name, index, netnsName, "ajbr" + index, Files.createDirectories(meshDir.resolve(name)));
        HostCommand.of("ip", "netns", "add", netnsName).check();
        teardown.add(
                "netns " + netnsName,
                () -> HostCommand.of("ip", "netns", "del", netnsName).check());
        node.exec("ip", "link", "set", "lo", "up");
        node.exec("sysctl", "-qw", "net.ipv4.ip_forward=1");
        Files.createDirectories(node.binDir());
        Files.createDirectories(node.netDir());
        Files.writeString(node.netDir().resolve("10-ajpods.conflist"), node.primaryConfig());
        return node;
    }

    /** A point-to-point link between two nodes (198.18.0.0/30) with routes to each other's pod subnet. */
    public static void connect(SimulatedNode a, SimulatedNode b) {
        String aSide = "to-" + b.name;
        String bSide = "to-" + a.name;
        HostCommand.of(
                        "ip",
                        "-n",
                        a.netnsName,
                        "link",
                        "add",
                        aSide,
                        "type",
                        "veth",
                        "peer",
                        "name",
                        bSide,
                        "netns",
                        b.netnsName)
                .check();
        a.exec("ip", "addr", "add", "198.18.0.1/30", "dev", aSide);
        b.exec("ip", "addr", "add", "198.18.0.2/30", "dev", bSide);
        a.exec("ip", "link", "set", aSide, "up");
        b.exec("ip", "link", "set", bSide, "up");
        a.exec("ip", "route", "add", b.podSubnet(), "via", "198.18.0.2");
        b.exec("ip", "route", "add", a.podSubnet(), "via", "198.18.0.1");
    }

    private void exec(String... argv) {
        HostCommand.inNetns(netns(), argv).check();
    }

    String primaryConfig() {
        return """
                {
                  "cniVersion": "1.0.0",
                  "name": "ajpods",
                  "plugins": [
                    {
                      "type": "bridge",
                      "bridge": "%s",
                      "isGateway": true,
                      "ipMasq": false,
                      "hairpinMode": true,
                      "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": "%s"}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        "dataDir": "%s"
                      }
                    }
                  ]
                }
                """.formatted(bridge, podSubnet(), dir.resolve("ipam"));
    }

    public String name() {
        return name;
    }

    public String podSubnet() {
        return "198.18." + index + ".0/24";
    }

    public Path netns() {
        return Path.of("/var/run/netns", netnsName);
    }

    public Path dir() {
        return dir;
    }

    public Path binDir() {
        return dir.resolve("bin");
    }

    public Path netDir() {
        return dir.resolve("net.d");
    }

    public Path pluginSocket() {
        return dir.resolve("cni.sock");
    }

    public Path zdsSocket() {
        return dir.resolve("ztunnel.sock");
    }

    /** The chain as installed now (our plugin appended by the installer). */
    public CniChain cniChain() {
        return new CniChain(netDir().resolve("10-ajpods.conflist"), binDir(), netns());
    }
}
