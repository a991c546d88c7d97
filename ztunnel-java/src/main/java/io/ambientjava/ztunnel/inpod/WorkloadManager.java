package io.ambientjava.ztunnel.inpod;

import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.hbone.client.HboneClientConfig;
import io.ambientjava.ztunnel.dns.DnsQueryHandler;
import io.ambientjava.ztunnel.dns.DnsSettings;
import io.ambientjava.ztunnel.dns.PodDnsServer;
import io.ambientjava.ztunnel.inpod.netns.ErrnoException;
import io.ambientjava.ztunnel.inpod.netns.NettyInNetns;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.proxy.LocalPod;
import io.ambientjava.ztunnel.proxy.PodName;
import io.ambientjava.ztunnel.proxy.PodSockets;
import io.ambientjava.ztunnel.proxy.ProxyContext;
import io.ambientjava.ztunnel.proxy.inboundpassthrough.InboundPlaintextProxy;
import io.ambientjava.ztunnel.proxy.outbound.OutboundProxy;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pods enrolled with this ztunnel, each with its listeners inside its own network namespace (upstream's
 * in-pod workload manager). Adding a pod opens its listeners; removing it drains them.
 */
public final class WorkloadManager {

    private static final Logger log = LoggerFactory.getLogger(WorkloadManager.class);

    private final PodProxy.Shared shared;
    private final NettyInNetns netty;
    private final HboneClientConfig hboneClientConfig;
    private final ConcurrentHashMap<String, PodProxy> pods = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param group the event loops every pod's sockets live on (started from ztunnel's own namespace)
     * @param netty creates sockets inside pod namespaces
     */
    public WorkloadManager(
            ProxyContext context,
            EventLoopGroup group,
            NettyInNetns netty,
            int outboundPort,
            int plaintextPort,
            int hbonePort) {
        this(context, group, netty, outboundPort, plaintextPort, hbonePort, DnsSettings.DISABLED);
    }

    /** With {@code dns}: when enabled, every pod also gets a DNS proxy ({@link PodDnsServer}). */
    public WorkloadManager(
            ProxyContext context,
            EventLoopGroup group,
            NettyInNetns netty,
            int outboundPort,
            int plaintextPort,
            int hbonePort,
            DnsSettings dns) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(dns, "dns");
        this.netty = Objects.requireNonNull(netty, "netty");
        this.shared = new PodProxy.Shared(
                context,
                Objects.requireNonNull(group, "group"),
                new OutboundProxy(context),
                new InboundPlaintextProxy(context),
                outboundPort,
                plaintextPort,
                hbonePort,
                dns,
                dns.enabled() ? Optional.of(new DnsQueryHandler(dns, context.store())) : Optional.empty());
        this.hboneClientConfig = HboneClientConfig.defaults()
                .withConnectTimeout(context.settings().connectTimeout());
        // A pod is often enrolled before istiod knows its address (the CNI ADD gives it one): fetch its certificate
        // as soon as its workload arrives, as ztunnel prefetches for the workloads on its node, so that the first
        // inbound HBONE handshake does not find it missing.
        context.store().subscribe(snapshot -> pods.values().forEach(proxy -> proxy.prefetchCertificate(snapshot)));
    }

    /**
     * Enrolls a pod; this takes ownership of {@code netns} (it is closed when the pod leaves, or now if enrolling
     * fails). A pod whose earlier enrollment failed may be added again.
     */
    public CompletableFuture<Void> add(String uid, NetworkNamespace netns) {
        return add(uid, Optional.empty(), netns);
    }

    /** As {@link #add(String, NetworkNamespace)}, for a pod whose namespace and name the node agent reported. */
    public CompletableFuture<Void> add(String uid, Optional<PodName> name, NetworkNamespace netns) {
        Objects.requireNonNull(uid, "uid");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(netns, "netns");
        if (uid.isBlank()) {
            closeQuietly(netns);
            return CompletableFuture.failedFuture(new IllegalArgumentException("pod uid is blank"));
        }
        if (closed) {
            closeQuietly(netns);
            return CompletableFuture.failedFuture(
                    new IllegalStateException("ztunnel is draining or closed; pod " + uid + " not enrolled"));
        }
        PodSockets sockets =
                new PodSockets(uid, netns, netty, shared.context().settings().connectTimeout());
        LocalPod pod = new LocalPod(
                uid,
                name,
                sockets,
                new HboneClient(shared.group(), hboneClientConfig),
                shared.context().certificates(),
                shared.context().settings().defaultTrustDomain());
        PodProxy proxy = new PodProxy(shared, pod, netns);
        PodProxy existing = pods.compute(uid, (key, current) -> {
            if (current == null || current.state() == PodState.FAILED) {
                return proxy;
            }
            return current;
        });
        if (existing != proxy) {
            pod.hbone().close();
            closeQuietly(netns);
            return CompletableFuture.failedFuture(new IllegalStateException("pod " + uid + " is already enrolled ("
                    + existing.state().name().toLowerCase() + ")"));
        }
        return proxy.start();
    }

    /** Removes a pod, draining its connections for up to {@code timeout}; unknown pods complete at once. */
    public CompletableFuture<Void> remove(String uid, Duration timeout) {
        PodProxy proxy = pods.get(uid);
        if (proxy == null) {
            return CompletableFuture.completedFuture(null);
        }
        return proxy.drain(timeout).whenComplete((ok, error) -> pods.remove(uid, proxy));
    }

    /** The enrolled pods, by uid. */
    public List<PodInfo> pods() {
        return pods.values().stream()
                .map(PodProxy::info)
                .sorted(Comparator.comparing(PodInfo::uid))
                .toList();
    }

    /** Whether no pod is still opening its listeners and no drain began. */
    public boolean isSettled() {
        return !closed && pods.values().stream().noneMatch(p -> p.state() == PodState.STARTING);
    }

    /** Refuses new pods and drains every enrolled one for up to {@code timeout}. */
    public CompletableFuture<Void> drainAll(Duration timeout) {
        closed = true;
        List<CompletableFuture<Void>> drains =
                pods.keySet().stream().map(uid -> remove(uid, timeout)).toList();
        log.info("draining {} pod(s) for up to {}", drains.size(), timeout);
        return CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new));
    }

    private static void closeQuietly(NetworkNamespace netns) {
        try {
            netns.close();
        } catch (ErrnoException e) {
            log.warn("closing namespace handle {} failed", netns, e);
        }
    }
}
