package io.ambientjava.ztunnel.runtime;

/**
 * The ports ztunnel listens on inside every pod's network namespace; the in-pod redirection rules send
 * traffic to them. The HBONE port is also the port outbound connections dial on peers.
 *
 * @param outbound captured outbound connections (Istio: 15001)
 * @param inboundPlaintext captured inbound plaintext connections (Istio: 15006)
 * @param inboundHbone HBONE, mTLS HTTP/2 CONNECT (Istio: 15008)
 */
public record ListenerPorts(int outbound, int inboundPlaintext, int inboundHbone) {

    public ListenerPorts {
        requirePort(outbound, "outbound");
        requirePort(inboundPlaintext, "inboundPlaintext");
        requirePort(inboundHbone, "inboundHbone");
        if (outbound == inboundPlaintext || outbound == inboundHbone || inboundPlaintext == inboundHbone) {
            throw new IllegalArgumentException("listener ports must differ: outbound " + outbound
                    + ", inboundPlaintext " + inboundPlaintext + ", inboundHbone " + inboundHbone);
        }
    }

    /** Istio's ports: 15001, 15006, 15008. */
    public static ListenerPorts istio() {
        return new ListenerPorts(15001, 15006, 15008);
    }

    private static void requirePort(int port, String name) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + " port " + port + " is not in 1..65535");
        }
    }
}
