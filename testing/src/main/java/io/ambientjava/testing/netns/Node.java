package io.ambientjava.testing.netns;

import java.net.Inet4Address;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A simulated node: a network namespace holding the bridge {@code br0} ({@code 198.18.<index>.1/24}) its
 * pods hang off, and, with two or more nodes, an {@code uplink} into the fabric with routes to the other
 * nodes' pod subnets. A node's ztunnel runs here ({@link #start}) and opens sockets in its own pods.
 */
public final class Node extends NamespacedHost {
    private final int index;
    private final List<Pod> pods = new CopyOnWriteArrayList<>();

    Node(NetnsTopology topology, int index, String netnsName) {
        super(topology, netnsName);
        this.index = index;
    }

    /** 1-based; also the third octet of the node's pod subnet. */
    public int index() {
        return index;
    }

    public String name() {
        return "node" + index;
    }

    /** {@code 198.18.<index>.0/24}. */
    public String subnet() {
        return TopologyAddresses.podSubnet(index);
    }

    /** The bridge address, the pods' default gateway: {@code 198.18.<index>.1}. */
    public Inet4Address gateway() {
        return TopologyAddresses.gateway(index);
    }

    /** This node's address on the fabric between nodes: {@code 198.18.255.<index>}. */
    public Inet4Address fabricAddress() {
        return TopologyAddresses.fabric(index);
    }

    public List<Pod> pods() {
        return List.copyOf(pods);
    }

    /**
     * Creates a pod on this node: a namespace with {@code eth0} on the node's bridge, the next free address
     * of the node's subnet, loopback up and a default route via the bridge.
     *
     * @param name unique within the topology; lowercase letters, digits and '-', at most 15 characters
     */
    public Pod addPod(String name) {
        return topology().addPod(this, name);
    }

    void attach(Pod pod) {
        pods.add(pod);
    }

    @Override
    public String toString() {
        return name() + " (netns " + netnsName() + ")";
    }
}
