package io.ambientjava.waypoint.upstream;

import io.ambientjava.waypoint.config.EndpointConfig;
import java.util.concurrent.atomic.AtomicInteger;

/** What the waypoint knows about one endpoint of a cluster: its config, load, and outlier state. */
public final class HostState {

    volatile EndpointConfig endpoint;
    /** Its address as {@code ip:port}; a config update keeps a host only for the same address. */
    private final String addressText;

    final AtomicInteger activeRequests = new AtomicInteger();
    /** When the host joined its cluster (System.nanoTime()), for slow start. */
    final long joinedNanos;
    // Outlier detection state, guarded by this.
    int consecutive5xx;
    int consecutiveGatewayFailures;
    int consecutiveLocalOriginFailures;
    int ejectionCount;
    long ejectedUntilNanos;
    boolean ejected;

    HostState(EndpointConfig endpoint) {
        this(endpoint, System.nanoTime());
    }

    HostState(EndpointConfig endpoint, long joinedNanos) {
        this.endpoint = endpoint;
        this.joinedNanos = joinedNanos;
        this.addressText = endpoint.address().getAddress().getHostAddress() + ":"
                + endpoint.address().getPort();
    }

    /** The endpoint's address as {@code ip:port}, for logs and telemetry. */
    public String addressText() {
        return addressText;
    }

    public EndpointConfig endpoint() {
        return endpoint;
    }

    public void activeRequestsIncrement() {
        activeRequests.incrementAndGet();
    }

    public void activeRequestsDecrement() {
        activeRequests.decrementAndGet();
    }

    public int activeRequests() {
        return activeRequests.get();
    }

    synchronized boolean isEjected(long nowNanos) {
        if (ejected && nowNanos - ejectedUntilNanos >= 0) {
            ejected = false;
            consecutive5xx = 0;
            consecutiveGatewayFailures = 0;
        }
        return ejected;
    }

    @Override
    public String toString() {
        return endpoint.address().toString();
    }
}
