package io.ambientjava.ztunnel.runtime;

import io.ambientjava.identity.manager.CertificateProvider;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.telemetry.ConnectionObserver;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a {@link ZtunnelRuntime} is built from. Start from {@link #of} (Istio's defaults) and adjust with the
 * {@code with...} methods.
 *
 * @param nodeName the node this ztunnel serves (logs, admin)
 * @param trustDomain the mesh trust domain; used for workloads that do not name their own
 * @param store the workload state (fed by a local file or xDS)
 * @param certificateProvider where workload certificates come from (local CA now, istiod's CA later)
 * @param observer told about every proxied connection (metrics, access log)
 * @param eventLoopThreads Netty event loop threads for all pods' I/O (upstream ztunnel runs 2 workers)
 * @param drainTimeout how long {@link ZtunnelRuntime#removePod} and a default drain let connections finish
 * @param connectTimeout TCP connect (and HBONE handshake) timeout towards peers and apps
 * @param ports the in-pod listener ports
 * @param inboundSource which source address the app sees
 */
public record ZtunnelRuntimeConfig(
        String nodeName,
        String trustDomain,
        WorkloadStore store,
        CertificateProvider certificateProvider,
        ConnectionObserver observer,
        int eventLoopThreads,
        Duration drainTimeout,
        Duration connectTimeout,
        ListenerPorts ports,
        InboundSourceMode inboundSource) {

    public static final int DEFAULT_EVENT_LOOP_THREADS = 2;
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    public ZtunnelRuntimeConfig {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(certificateProvider, "certificateProvider");
        Objects.requireNonNull(observer, "observer");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(inboundSource, "inboundSource");
        if (trustDomain.isBlank()) {
            throw new IllegalArgumentException("trustDomain is required");
        }
        if (eventLoopThreads < 1) {
            throw new IllegalArgumentException("eventLoopThreads must be at least 1, was " + eventLoopThreads);
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must not be negative, was " + drainTimeout);
        }
        if (!connectTimeout.isPositive()) {
            throw new IllegalArgumentException("connectTimeout must be positive, was " + connectTimeout);
        }
    }

    /** A config with Istio's defaults: 2 event loop threads, ports 15001/15006/15008, client IP preserved. */
    public static ZtunnelRuntimeConfig of(
            String nodeName,
            String trustDomain,
            WorkloadStore store,
            CertificateProvider certificateProvider,
            ConnectionObserver observer) {
        return new ZtunnelRuntimeConfig(
                nodeName,
                trustDomain,
                store,
                certificateProvider,
                observer,
                DEFAULT_EVENT_LOOP_THREADS,
                DEFAULT_DRAIN_TIMEOUT,
                DEFAULT_CONNECT_TIMEOUT,
                ListenerPorts.istio(),
                InboundSourceMode.PRESERVE_CLIENT_IP);
    }

    public ZtunnelRuntimeConfig withEventLoopThreads(int threads) {
        return new ZtunnelRuntimeConfig(
                nodeName,
                trustDomain,
                store,
                certificateProvider,
                observer,
                threads,
                drainTimeout,
                connectTimeout,
                ports,
                inboundSource);
    }

    public ZtunnelRuntimeConfig withDrainTimeout(Duration timeout) {
        return new ZtunnelRuntimeConfig(
                nodeName,
                trustDomain,
                store,
                certificateProvider,
                observer,
                eventLoopThreads,
                timeout,
                connectTimeout,
                ports,
                inboundSource);
    }

    public ZtunnelRuntimeConfig withConnectTimeout(Duration timeout) {
        return new ZtunnelRuntimeConfig(
                nodeName,
                trustDomain,
                store,
                certificateProvider,
                observer,
                eventLoopThreads,
                drainTimeout,
                timeout,
                ports,
                inboundSource);
    }

    public ZtunnelRuntimeConfig withPorts(ListenerPorts listenerPorts) {
        return new ZtunnelRuntimeConfig(
                nodeName,
                trustDomain,
                store,
                certificateProvider,
                observer,
                eventLoopThreads,
                drainTimeout,
                connectTimeout,
                listenerPorts,
                inboundSource);
    }

    public ZtunnelRuntimeConfig withInboundSource(InboundSourceMode mode) {
        return new ZtunnelRuntimeConfig(
                nodeName,
                trustDomain,
                store,
                certificateProvider,
                observer,
                eventLoopThreads,
                drainTimeout,
                connectTimeout,
                ports,
                mode);
    }
}
