package io.ambientjava.ztunnel.runtime;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.ztunnel.certs.CertificateInfo;
import io.ambientjava.ztunnel.certs.WorkloadCertificates;
import io.ambientjava.ztunnel.dns.DnsSettings;
import io.ambientjava.ztunnel.dns.HostnameResolver;
import io.ambientjava.ztunnel.dns.UpstreamHostnameResolver;
import io.ambientjava.ztunnel.inpod.PodInfo;
import io.ambientjava.ztunnel.inpod.WorkloadManager;
import io.ambientjava.ztunnel.inpod.netns.ErrnoException;
import io.ambientjava.ztunnel.inpod.netns.NetnsExecutor;
import io.ambientjava.ztunnel.inpod.netns.NettyInNetns;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.proxy.ConnectionTracker;
import io.ambientjava.ztunnel.proxy.LiveConnection;
import io.ambientjava.ztunnel.proxy.PodName;
import io.ambientjava.ztunnel.proxy.ProxyContext;
import io.ambientjava.ztunnel.proxy.ProxySettings;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.lb.RoundRobinPicker;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ztunnel: the data path for the pods of one node. Pods are added with their network namespace; ztunnel then
 * listens inside each (outbound, inbound plaintext, inbound HBONE) and proxies their connections: outbound to
 * service endpoints or waypoints over HBONE as the pod's identity, inbound with L4 authorization to the app with
 * the client's IP preserved.
 *
 * <p>Start it from a thread in ztunnel's own network namespace: the event loops and the netns worker inherit the
 * starting thread's namespace.
 */
public final class ZtunnelRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ZtunnelRuntime.class);
    private static final int MAX_CONNECT_ATTEMPTS = 3;

    private final ZtunnelRuntimeConfig config;
    private final EventLoopGroup group;
    private final NetnsExecutor netnsExecutor;
    private final WorkloadCertificates certificates;
    private final ConnectionTracker tracker;
    private final WorkloadManager workloads;
    private final HostnameResolver hostnames;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ZtunnelRuntime(
            ZtunnelRuntimeConfig config,
            EventLoopGroup group,
            NetnsExecutor netnsExecutor,
            WorkloadCertificates certificates,
            DnsSettings dns) {
        this.config = config;
        this.group = group;
        this.netnsExecutor = netnsExecutor;
        this.certificates = certificates;
        this.tracker = new ConnectionTracker(config.observer());
        this.hostnames = dns.upstreams().isEmpty()
                ? HostnameResolver.none("this ztunnel has no upstream resolver (--dns-upstream, --dns-resolv-conf)")
                : new UpstreamHostnameResolver(group.next(), dns.upstreams(), dns.upstreamTimeout());
        ProxyContext context = new ProxyContext(
                config.store(),
                certificates,
                tracker,
                new RoundRobinPicker(),
                new ProxySettings(
                        config.ports().inboundHbone(),
                        config.connectTimeout(),
                        config.inboundSource() == InboundSourceMode.PRESERVE_CLIENT_IP,
                        config.trustDomain(),
                        MAX_CONNECT_ATTEMPTS),
                hostnames);
        this.workloads = new WorkloadManager(
                context,
                group,
                new NettyInNetns(netnsExecutor),
                config.ports().outbound(),
                config.ports().inboundPlaintext(),
                config.ports().inboundHbone(),
                dns);
    }

    /** Starts the event loops, the netns worker and the certificate manager. */
    public static ZtunnelRuntime start(ZtunnelRuntimeConfig config) {
        return start(config, DnsSettings.DISABLED);
    }

    /** As {@link #start(ZtunnelRuntimeConfig)}, with every pod's DNS proxy per {@code dns} (DNS capture). */
    public static ZtunnelRuntime start(ZtunnelRuntimeConfig config, DnsSettings dns) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(dns, "dns");
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException(
                    "ztunnel needs Netty's native epoll transport", Epoll.unavailabilityCause());
        }
        EventLoopGroup group =
                NettyTransport.newEventLoopGroup(config.eventLoopThreads(), "ztunnel-" + config.nodeName());
        // Netty starts loop threads lazily, from whichever thread first hands them work; start them all here.
        for (EventExecutor loop : group) {
            loop.execute(() -> {});
        }
        NetnsExecutor executor;
        try {
            executor = new NetnsExecutor(config.nodeName());
        } catch (ErrnoException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IllegalStateException("cannot start the network namespace worker: " + e.getMessage(), e);
        }
        WorkloadCertificates certificates = new WorkloadCertificates(config.certificateProvider());
        log.info(
                "ztunnel for node {} started: {} event loop thread(s), ports {}",
                config.nodeName(),
                config.eventLoopThreads(),
                config.ports());
        return new ZtunnelRuntime(config, group, executor, certificates, dns);
    }

    public ZtunnelRuntimeConfig config() {
        return config;
    }

    /**
     * Enrolls a pod: opens its listeners inside {@code netns}. The runtime owns {@code netns} from here (also when
     * this fails) and closes it when the pod is removed. Completes when the listeners are open; fails when they
     * cannot be opened (the pod is then listed as FAILED, with the reason, until it is removed or added again) or
     * a pod with this uid is already enrolled.
     */
    public CompletableFuture<Void> addPod(String uid, NetworkNamespace netns) {
        return addPod(uid, Optional.empty(), netns);
    }

    /** As {@link #addPod(String, NetworkNamespace)}, for a pod whose namespace and name the node agent reported. */
    public CompletableFuture<Void> addPod(String uid, Optional<PodName> name, NetworkNamespace netns) {
        if (draining.get()) {
            try {
                netns.close();
            } catch (ErrnoException e) {
                log.warn("closing namespace handle {} failed", netns, e);
            }
            return CompletableFuture.failedFuture(
                    new IllegalStateException("ztunnel is draining or closed; pod " + uid + " not enrolled"));
        }
        return workloads.add(uid, name, netns);
    }

    /**
     * Removes a pod: closes its listeners at once, lets its connections finish for up to the configured drain
     * timeout, then closes what is left. Completes when all are closed; an unknown uid completes at once.
     */
    public CompletableFuture<Void> removePod(String uid) {
        return removePod(uid, config.drainTimeout());
    }

    /** {@link #removePod(String)} with its own drain timeout. */
    public CompletableFuture<Void> removePod(String uid, Duration drainTimeout) {
        return workloads.remove(uid, drainTimeout);
    }

    /** The enrolled pods. */
    public List<PodInfo> pods() {
        return workloads.pods();
    }

    /** The workload state the data path currently uses. */
    public StateSnapshot snapshot() {
        return config.store().snapshot();
    }

    /** The certificates of the local identities. */
    public List<CertificateInfo> certificates() {
        return certificates.certificates();
    }

    /** The open proxied connections with their byte counts. */
    public List<LiveConnection> connections() {
        return tracker.connections();
    }

    /**
     * Stops accepting on every listener, lets open connections finish until {@code timeout}, then closes the rest.
     * Afterwards the runtime is not ready and accepts no new pods; {@link #close} releases it.
     */
    public CompletableFuture<Void> drain(Duration timeout) {
        draining.set(true);
        return workloads.drainAll(timeout);
    }

    /** Whether ztunnel serves traffic: started, not draining, and no enrolled pod still opening its listeners. */
    public boolean isReady() {
        return !draining.get() && workloads.isSettled();
    }

    /** Closes every listener and connection now and stops the event loops. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        draining.set(true);
        try {
            workloads.drainAll(Duration.ZERO).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("closing the pods of node {} did not finish cleanly", config.nodeName(), e);
        }
        certificates.close();
        hostnames.close();
        netnsExecutor.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("ztunnel for node {} stopped", config.nodeName());
    }
}
