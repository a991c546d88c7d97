package io.ambientjava.ztunnel.runtime;

/** Which source address the app sees on connections ztunnel delivers to it. */
public enum InboundSourceMode {
    /**
     * The original client's IP, as Istio does: the socket to the app is {@code IP_TRANSPARENT} and bound to the
     * client's address. With nftables redirection the in-pod policy routing (connmark 0x111, {@code ip rule fwmark
     * 0x111/0xfff lookup 100}, {@code local 0.0.0.0/0 dev lo table 100}) brings the app's replies back to ztunnel;
     * with eBPF redirection the node's programs move the bind to the pod's address and show the app the client.
     */
    PRESERVE_CLIENT_IP,
    /**
     * The pod's own address (the kernel's choice): for environments with neither of those. Only used when
     * configured; ztunnel never falls back to it on its own.
     */
    POD_ADDRESS
}
