package io.ambientjava.testing.netns;

import java.net.Inet4Address;
import java.net.InetSocketAddress;

/** A simulated pod: a network namespace with one address on its node's bridge. */
public final class Pod extends NamespacedHost {
    private final String name;
    private final Node node;
    private final Inet4Address ip;

    Pod(NetnsTopology topology, String name, Node node, Inet4Address ip, String netnsName) {
        super(topology, netnsName);
        this.name = name;
        this.node = node;
        this.ip = ip;
    }

    public String name() {
        return name;
    }

    public Node node() {
        return node;
    }

    /** The pod's address on {@code eth0}, from its node's {@code 198.18.<node>.0/24}. */
    public Inet4Address ip() {
        return ip;
    }

    /** {@code ip():port}. */
    public InetSocketAddress address(int port) {
        return new InetSocketAddress(ip, port);
    }

    @Override
    public String toString() {
        return "pod " + name + " " + ip.getHostAddress() + " on " + node.name() + " (netns " + netnsName() + ")";
    }
}
