package io.ambientjava.waypoint.proxy;

/**
 * Limits on what a client may send.
 *
 * @param maxHeaderBytes request line excluded; more is answered 431 (Envoy: 60 KiB)
 * @param maxRequestLineBytes more is answered 414
 * @param bufferLimitBytes request body kept for retries and mirrors; beyond it the request is streamed only and
 *     can no longer be retried or mirrored (Envoy: 1 MiB per connection)
 */
public record ProxyLimits(int maxHeaderBytes, int maxRequestLineBytes, int bufferLimitBytes) {

    public static ProxyLimits defaults() {
        return new ProxyLimits(60 * 1024, 16 * 1024, 1024 * 1024);
    }
}
