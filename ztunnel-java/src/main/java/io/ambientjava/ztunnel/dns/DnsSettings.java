package io.ambientjava.ztunnel.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the in-pod DNS proxy runs, and which resolvers ztunnel asks for the names of endpoints known only by name
 * (those are used also when the proxy is off).
 *
 * @param enabled whether pods get a DNS proxy at all (Istio's {@code ISTIO_META_DNS_CAPTURE})
 * @param port where it listens inside each pod, on 127.0.0.1 (the address nftables' redirect delivers to)
 * @param upstreams the resolvers names outside the mesh are forwarded to, and endpoint names resolved with, tried
 *     in order
 * @param clusterDomain the Kubernetes cluster domain ({@code cluster.local}) short names are expanded with
 * @param upstreamTimeout how long one upstream may take before the next is tried
 * @param ttlSeconds the TTL of the answers for mesh names
 */
public record DnsSettings(
        boolean enabled,
        int port,
        List<InetSocketAddress> upstreams,
        String clusterDomain,
        Duration upstreamTimeout,
        int ttlSeconds) {
    public static final int ISTIO_PORT = 15053;
    public static final DnsSettings DISABLED =
            new DnsSettings(false, ISTIO_PORT, List.of(), "cluster.local", Duration.ofSeconds(2), 30);

    public DnsSettings {
        upstreams = List.copyOf(upstreams);
        Objects.requireNonNull(clusterDomain, "clusterDomain");
        Objects.requireNonNull(upstreamTimeout, "upstreamTimeout");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("DNS port " + port + " is not in 1..65535");
        }
        if (!upstreamTimeout.isPositive()) {
            throw new IllegalArgumentException("upstream timeout must be positive, was " + upstreamTimeout);
        }
        if (ttlSeconds < 0) {
            throw new IllegalArgumentException("TTL must not be negative, was " + ttlSeconds);
        }
        clusterDomain = MeshNameResolver.normalize(clusterDomain);
        if (clusterDomain.isEmpty()) {
            throw new IllegalArgumentException("cluster domain must not be empty");
        }
    }

    /** DNS capture off; endpoint names are still resolved with {@code upstreams}. */
    public static DnsSettings disabled(List<InetSocketAddress> upstreams) {
        return new DnsSettings(false, ISTIO_PORT, upstreams, "cluster.local", Duration.ofSeconds(2), 30);
    }

    /** DNS capture on, with Istio's port and defaults, forwarding to {@code upstreams}. */
    public static DnsSettings enabled(List<InetSocketAddress> upstreams) {
        return new DnsSettings(true, ISTIO_PORT, upstreams, "cluster.local", Duration.ofSeconds(2), 30);
    }

    public DnsSettings withPort(int value) {
        return new DnsSettings(enabled, value, upstreams, clusterDomain, upstreamTimeout, ttlSeconds);
    }

    public DnsSettings withClusterDomain(String value) {
        return new DnsSettings(enabled, port, upstreams, value, upstreamTimeout, ttlSeconds);
    }

    public DnsSettings withUpstreamTimeout(Duration value) {
        return new DnsSettings(enabled, port, upstreams, clusterDomain, value, ttlSeconds);
    }
}
