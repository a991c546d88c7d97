package io.ambientjava.waypoint.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits on what a client may send, and how long it may take.
 *
 * @param maxHeaderBytes request line excluded; more is answered 431 (Envoy: 60 KiB)
 * @param maxRequestLineBytes more is answered 414
 * @param bufferLimitBytes request body kept for retries and mirrors; beyond it the request is streamed only and
 *     can no longer be retried or mirrored (Envoy: 1 MiB per connection)
 * @param streamIdleTimeout a request whose client sends nothing for this long while its body is still due is
 *     answered 408 and its upstream exchange released (Envoy's {@code stream_idle_timeout}: 5 minutes)
 * @param requestTimeout the whole request (headers to the end of the body) must arrive within this; zero
 *     disables it (Envoy's {@code request_timeout}, disabled by default)
 * @param connectionIdleTimeout a downstream connection with no traffic at all for this long is closed (Envoy's
 *     {@code common_http_protocol_options.idle_timeout}: 1 hour)
 */
public record ProxyLimits(
        int maxHeaderBytes,
        int maxRequestLineBytes,
        int bufferLimitBytes,
        Duration streamIdleTimeout,
        Duration requestTimeout,
        Duration connectionIdleTimeout) {

    public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_CONNECTION_IDLE_TIMEOUT = Duration.ofHours(1);

    public ProxyLimits {
        positive(maxHeaderBytes, "maxHeaderBytes");
        positive(maxRequestLineBytes, "maxRequestLineBytes");
        positive(bufferLimitBytes, "bufferLimitBytes");
        Objects.requireNonNull(streamIdleTimeout, "streamIdleTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(connectionIdleTimeout, "connectionIdleTimeout");
        if (streamIdleTimeout.isNegative() || streamIdleTimeout.isZero()) {
            throw new IllegalArgumentException("streamIdleTimeout must be positive, was " + streamIdleTimeout);
        }
        if (requestTimeout.isNegative()) {
            throw new IllegalArgumentException("requestTimeout must not be negative, was " + requestTimeout);
        }
        if (connectionIdleTimeout.isNegative() || connectionIdleTimeout.isZero()) {
            throw new IllegalArgumentException("connectionIdleTimeout must be positive, was " + connectionIdleTimeout);
        }
    }

    /** Size limits with Envoy's default timeouts. */
    public ProxyLimits(int maxHeaderBytes, int maxRequestLineBytes, int bufferLimitBytes) {
        this(
                maxHeaderBytes,
                maxRequestLineBytes,
                bufferLimitBytes,
                DEFAULT_STREAM_IDLE_TIMEOUT,
                Duration.ZERO,
                DEFAULT_CONNECTION_IDLE_TIMEOUT);
    }

    public static ProxyLimits defaults() {
        return new ProxyLimits(60 * 1024, 16 * 1024, 1024 * 1024);
    }

    public ProxyLimits withStreamIdleTimeout(Duration timeout) {
        return new ProxyLimits(
                maxHeaderBytes, maxRequestLineBytes, bufferLimitBytes, timeout, requestTimeout, connectionIdleTimeout);
    }

    public ProxyLimits withRequestTimeout(Duration timeout) {
        return new ProxyLimits(
                maxHeaderBytes,
                maxRequestLineBytes,
                bufferLimitBytes,
                streamIdleTimeout,
                timeout,
                connectionIdleTimeout);
    }

    public ProxyLimits withConnectionIdleTimeout(Duration timeout) {
        return new ProxyLimits(
                maxHeaderBytes, maxRequestLineBytes, bufferLimitBytes, streamIdleTimeout, requestTimeout, timeout);
    }

    private static void positive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }
}
