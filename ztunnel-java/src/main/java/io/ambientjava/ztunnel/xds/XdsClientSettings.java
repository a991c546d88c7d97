package io.ambientjava.ztunnel.xds;

import io.ambientjava.ztunnel.controlplane.ControlPlaneTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how the xDS client connects.
 *
 * @param host the control plane host (plaintext gRPC, e.g. istiod-lite's loopback port 15010)
 * @param initialBackoff the first wait before reconnecting; doubled on each failure in a row
 * @param maxBackoff the longest wait between reconnects
 * @param tls TLS to istiod (its port 15012); plaintext when empty
 * @param tokenFile a bearer token sent on the stream (istiod's TLS port wants a client certificate or a token)
 */
public record XdsClientSettings(
        String host,
        int port,
        XdsNode node,
        Duration initialBackoff,
        Duration maxBackoff,
        Optional<ControlPlaneTls> tls,
        Optional<Path> tokenFile) {

    /** Upstream ztunnel's bounds. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(10);

    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(15);

    public XdsClientSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(tokenFile, "tokenFile");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("xDS port " + port + " is not in 1..65535");
        }
        if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "backoff must be positive with max >= initial, was " + initialBackoff + " / " + maxBackoff);
        }
    }

    public static XdsClientSettings of(String host, int port, XdsNode node) {
        return new XdsClientSettings(
                host, port, node, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, Optional.empty(), Optional.empty());
    }

    public XdsClientSettings withBackoff(Duration initial, Duration max) {
        return new XdsClientSettings(host, port, node, initial, max, tls, tokenFile);
    }

    /** The same over TLS, istiod verified as {@code tls} says, authenticating with the token in {@code tokenFile}. */
    public XdsClientSettings withTls(ControlPlaneTls tls, Path tokenFile) {
        return new XdsClientSettings(
                host, port, node, initialBackoff, maxBackoff, Optional.of(tls), Optional.of(tokenFile));
    }

    public String address() {
        return host + ":" + port;
    }
}
