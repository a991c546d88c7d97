package io.ambientjava.cni.redirect;

/**
 * How a pod's traffic is captured.
 *
 * @param dnsCapture also redirect DNS (UDP and TCP port 53, not on {@code lo}) to ztunnel's DNS proxy on 15053
 */
public record RedirectionConfig(boolean dnsCapture) {
    public static final RedirectionConfig DEFAULTS = new RedirectionConfig(false);
}
