package io.ambientjava.ztunnel.xds;

import java.time.Duration;
import java.util.Objects;

/**
 * Where and how the xDS client connects.
 *
 * @param host the control plane host (plaintext gRPC, e.g. istiod-lite's loopback port 15010)
 * @param initialBackoff the first wait before reconnecting; doubled on each failure in a row
 * @param maxBackoff the longest wait between reconnects
 */
public record XdsClientSettings(String host, int port, XdsNode node, Duration initialBackoff, Duration maxBackoff) {

    /** Upstream ztunnel's bounds. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(10);

    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(15);

    public XdsClientSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(node, "node");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("xDS port " + port + " is not in 1..65535");
        }
        if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "backoff must be positive with max >= initial, was " + initialBackoff + " / " + maxBackoff);
        }
    }

    public static XdsClientSettings of(String host, int port, XdsNode node) {
        return new XdsClientSettings(host, port, node, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF);
    }

    public XdsClientSettings withBackoff(Duration initial, Duration max) {
        return new XdsClientSettings(host, port, node, initial, max);
    }

    public String address() {
        return host + ":" + port;
    }
}
