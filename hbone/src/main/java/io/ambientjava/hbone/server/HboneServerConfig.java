package io.ambientjava.hbone.server;

import io.ambientjava.hbone.HboneSettings;
import io.ambientjava.hbone.tunnel.TunnelSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * @param security mutual TLS (or plaintext for tests)
 * @param http2 settings advertised to clients (streams per connection, windows, frame size)
 * @param tunnel buffering limits of each tunnel
 * @param handshakeTimeout how long a client gets to finish TLS
 * @param keepAliveInterval PING a connection after this long without receiving anything; close it when another
 *     interval passes in silence (ztunnel: 10 s)
 */
public record HboneServerConfig(
        ServerSecurity security,
        HboneSettings http2,
        TunnelSettings tunnel,
        Duration handshakeTimeout,
        Duration keepAliveInterval) {

    public HboneServerConfig {
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(http2, "http2");
        Objects.requireNonNull(tunnel, "tunnel");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(keepAliveInterval, "keepAliveInterval");
        if (keepAliveInterval.isNegative() || keepAliveInterval.isZero()) {
            throw new IllegalArgumentException("keepAliveInterval must be positive, was " + keepAliveInterval);
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive, was " + handshakeTimeout);
        }
    }

    public static HboneServerConfig defaults(ServerSecurity security) {
        return new HboneServerConfig(
                security,
                HboneSettings.defaults(),
                TunnelSettings.defaults(),
                Duration.ofSeconds(10),
                Duration.ofSeconds(10));
    }

    public HboneServerConfig withHttp2(HboneSettings settings) {
        return new HboneServerConfig(security, settings, tunnel, handshakeTimeout, keepAliveInterval);
    }

    public HboneServerConfig withKeepAliveInterval(Duration interval) {
        return new HboneServerConfig(security, http2, tunnel, handshakeTimeout, interval);
    }

    public HboneServerConfig withTunnel(TunnelSettings settings) {
        return new HboneServerConfig(security, http2, settings, handshakeTimeout, keepAliveInterval);
    }
}
