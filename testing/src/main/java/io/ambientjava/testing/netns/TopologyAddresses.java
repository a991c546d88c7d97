package io.ambientjava.testing.netns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The address plan: node {@code n} owns {@code 198.18.n.0/24} ({@code .1} its bridge, pods from
 * {@code .2}); the fabric joining the nodes is {@code 198.18.255.0/24} ({@code .n} for node n). Every run
 * reuses the same addresses, which is fine: they live only inside the run's own namespaces.
 */
final class TopologyAddresses {
    static final int MAX_NODES = 254;
    static final int FIRST_POD_HOST = 2;
    static final int LAST_POD_HOST = 254;
    private static final int FABRIC_OCTET = 255;

    private TopologyAddresses() {}

    static String podSubnet(int node) {
        return "198.18." + node + ".0/24";
    }

    static Inet4Address gateway(int node) {
        return address(node, 1);
    }

    static Inet4Address pod(int node, int host) {
        return address(node, host);
    }

    static Inet4Address fabric(int node) {
        return address(FABRIC_OCTET, node);
    }

    private static Inet4Address address(int third, int fourth) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) 198, 18, (byte) third, (byte) fourth});
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an address", e);
        }
    }
}
