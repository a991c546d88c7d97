package io.ambientjava.ztunnel.runtime;

/** Which source address the app sees on connections ztunnel delivers to it. */
public enum InboundSourceMode {
    /**
     * The original client's IP, as Istio does: the socket to the app is {@code IP_TRANSPARENT} and bound to the
     * client's address. Needs the in-pod policy routing (connmark 0x111, {@code ip rule fwmark 0x111/0xfff lookup
     * 100}, {@code local 0.0.0.0/0 dev lo table 100}) so the app's replies come back to ztunnel.
     */
    PRESERVE_CLIENT_IP,
    /**
     * The pod's own address (the kernel's choice): for environments without that policy routing. Only used when
     * configured; ztunnel never falls back to it on its own.
     */
    POD_ADDRESS
}
