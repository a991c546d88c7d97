package io.ambientjava.ztunnel.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * How the proxies behave.
 *
 * @param hbonePort the port peers accept HBONE on (when a gateway address does not name one)
 * @param connectTimeout for connections to peers and apps
 * @param preserveClientIp whether connections to apps carry the original client's IP ({@code IP_TRANSPARENT})
 * @param defaultTrustDomain for workloads that name none
 * @param maxConnectAttempts how many endpoints of a service one connection tries before it gives up
 */
public record ProxySettings(
        int hbonePort,
        Duration connectTimeout,
        boolean preserveClientIp,
        String defaultTrustDomain,
        int maxConnectAttempts) {

    public ProxySettings {
        if (hbonePort < 1 || hbonePort > 65535) {
            throw new IllegalArgumentException("hbonePort " + hbonePort + " is not in 1..65535");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(defaultTrustDomain, "defaultTrustDomain");
        if (maxConnectAttempts < 1) {
            throw new IllegalArgumentException("maxConnectAttempts must be at least 1, was " + maxConnectAttempts);
        }
    }
}
