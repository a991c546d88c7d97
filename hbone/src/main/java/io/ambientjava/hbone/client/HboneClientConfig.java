package io.ambientjava.hbone.client;

import io.ambientjava.hbone.HboneSettings;
import io.ambientjava.hbone.tunnel.TunnelSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * @param http2 HTTP/2 settings the client sends (windows, frame size)
 * @param maxStreamsPerConnection cap on streams per pooled connection; the peer's SETTINGS may lower it
 * @param idleTimeout a connection with no streams for this long is closed (ztunnel: 5 minutes)
 * @param connectTimeout TCP connect plus TLS handshake plus the peer's first SETTINGS
 * @param tunnel buffering limits of each tunnel
 * @param keepAliveInterval PING a connection after this long without receiving anything; close it when another
 *     interval passes in silence (ztunnel: 10 s)
 */
public record HboneClientConfig(
        HboneSettings http2,
        int maxStreamsPerConnection,
        Duration idleTimeout,
        Duration connectTimeout,
        TunnelSettings tunnel,
        Duration keepAliveInterval) {

    public HboneClientConfig {
        Objects.requireNonNull(http2, "http2");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(tunnel, "tunnel");
        Objects.requireNonNull(keepAliveInterval, "keepAliveInterval");
        if (keepAliveInterval.isNegative() || keepAliveInterval.isZero()) {
            throw new IllegalArgumentException("keepAliveInterval must be positive, was " + keepAliveInterval);
        }
        if (maxStreamsPerConnection < 1) {
            throw new IllegalArgumentException(
                    "maxStreamsPerConnection must be at least 1, was " + maxStreamsPerConnection);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive, was " + idleTimeout);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, was " + connectTimeout);
        }
    }

    public static HboneClientConfig defaults() {
        return new HboneClientConfig(
                HboneSettings.defaults(),
                100,
                Duration.ofMinutes(5),
                Duration.ofSeconds(10),
                TunnelSettings.defaults(),
                Duration.ofSeconds(10));
    }

    public HboneClientConfig withMaxStreamsPerConnection(int streams) {
        return new HboneClientConfig(http2, streams, idleTimeout, connectTimeout, tunnel, keepAliveInterval);
    }

    public HboneClientConfig withIdleTimeout(Duration timeout) {
        return new HboneClientConfig(
                http2, maxStreamsPerConnection, timeout, connectTimeout, tunnel, keepAliveInterval);
    }

    public HboneClientConfig withConnectTimeout(Duration timeout) {
        return new HboneClientConfig(http2, maxStreamsPerConnection, idleTimeout, timeout, tunnel, keepAliveInterval);
    }

    public HboneClientConfig withKeepAliveInterval(Duration interval) {
        return new HboneClientConfig(http2, maxStreamsPerConnection, idleTimeout, connectTimeout, tunnel, interval);
    }

    public HboneClientConfig withTunnel(TunnelSettings settings) {
        return new HboneClientConfig(
                http2, maxStreamsPerConnection, idleTimeout, connectTimeout, settings, keepAliveInterval);
    }
}
