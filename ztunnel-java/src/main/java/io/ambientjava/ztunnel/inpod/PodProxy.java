package io.ambientjava.ztunnel.inpod;

import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.HboneServerInitializer;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.hbone.tunnel.TcpInputHold;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.dns.DnsQueryHandler;
import io.ambientjava.ztunnel.dns.DnsSettings;
import io.ambientjava.ztunnel.dns.PodDnsServer;
import io.ambientjava.ztunnel.inpod.netns.ErrnoException;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.proxy.ConnectionTracker;
import io.ambientjava.ztunnel.proxy.LocalPod;
import io.ambientjava.ztunnel.proxy.ProxyContext;
import io.ambientjava.ztunnel.proxy.Resets;
import io.ambientjava.ztunnel.proxy.inbound.InboundHboneConnector;
import io.ambientjava.ztunnel.proxy.inboundpassthrough.InboundPlaintextProxy;
import io.ambientjava.ztunnel.proxy.outbound.OutboundProxy;
import io.ambientjava.ztunnel.state.Workload;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One enrolled pod's listeners inside its network namespace (outbound, inbound plaintext, inbound HBONE) and the
 * connections they accepted; drains them when the pod leaves.
 */
final class PodProxy {

    private static final Logger log = LoggerFactory.getLogger(PodProxy.class);
    private static final Duration IDLE_CHECK = Duration.ofMillis(20);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    /** What the listeners of every pod share. */
    record Shared(
            ProxyContext context,
            EventLoopGroup group,
            OutboundProxy outbound,
            InboundPlaintextProxy plaintext,
            int outboundPort,
            int plaintextPort,
            int hbonePort,
            DnsSettings dnsSettings,
            Optional<DnsQueryHandler> dns) {}

    private final Shared shared;
    private final LocalPod pod;
    private final NetworkNamespace netns;
    private final Instant added = Instant.now();
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private volatile PodDnsServer dnsServer;
    private final Set<Channel> accepted = ConcurrentHashMap.newKeySet();
    private final Set<Channel> hboneConnections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile PodState state = PodState.STARTING;
    private volatile String error;

    PodProxy(Shared shared, LocalPod pod, NetworkNamespace netns) {
        this.shared = shared;
        this.pod = pod;
        this.netns = netns;
    }

    String uid() {
        return pod.uid();
    }

    PodState state() {
        return state;
    }

    /** Starts fetching the pod's certificate once its workload is in {@code snapshot} (a no-op after the first). */
    void prefetchCertificate(io.ambientjava.ztunnel.state.StateSnapshot snapshot) {
        if (!draining.get()) {
            pod.workload(snapshot).flatMap(pod::identity);
        }
    }

    /** Opens the three listeners; on failure closes whatever opened and the pod's resources. */
    CompletableFuture<Void> start() {
        // Fetch the certificate now rather than at the first connection, when the workload is known already; the
        // pod counts as started once the first attempt is over (a failure is logged and retried on use).
        CompletableFuture<Void> certificate = pod.workload(
                        shared.context().store().snapshot())
                .flatMap(pod::identity)
                .map(identity -> shared.context().certificates().ready(identity).exceptionally(error -> {
                    log.warn("pod {}: no certificate for {} yet: {}", uid(), identity, error.getMessage());
                    return null;
                }))
                .orElseGet(() -> CompletableFuture.completedFuture(null));
        CompletableFuture<Channel> outbound =
                pod.sockets().listen(tcpListener(this::acceptOutbound), shared.outboundPort());
        CompletableFuture<Channel> plaintext =
                pod.sockets().listen(tcpListener(this::acceptPlaintext), shared.plaintextPort());
        CompletableFuture<Channel> hbone = pod.sockets().listen(hboneListener(), shared.hbonePort());
        List<CompletableFuture<Channel>> all = List.of(outbound, plaintext, hbone);
        all.forEach(future -> future.thenAccept(listeners::add));
        CompletableFuture<Void> dns = startDns();
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenCombine(dns, (listening, dnsReady) -> listening)
                .thenCombine(certificate, (listening, ready) -> listening)
                .handle((ok, failure) -> {
                    if (failure == null && !draining.get()) {
                        state = PodState.RUNNING;
                        log.info(
                                "pod {} enrolled: listening on {}, {}, {} in {}",
                                uid(),
                                shared.outboundPort(),
                                shared.plaintextPort(),
                                shared.hbonePort(),
                                netns);
                        return null;
                    }
                    String reason = failure == null
                            ? "removed while starting"
                            : "cannot open listeners in " + netns + ": " + rootMessage(failure);
                    error = reason;
                    state = PodState.FAILED;
                    all.forEach(future -> future.thenAccept(Channel::close));
                    dns.thenRun(this::closeDns);
                    releaseResources();
                    throw new IllegalStateException("pod " + uid() + ": " + reason, failure);
                });
    }

    /** With DNS capture on, the pod's DNS proxy on 127.0.0.1:15053; the pod's namespace is looked up per query. */
    private CompletableFuture<Void> startDns() {
        if (shared.dns().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return PodDnsServer.start(
                        pod.sockets(),
                        shared.group(),
                        shared.dnsSettings(),
                        shared.dns().get(),
                        () -> pod.workload(shared.context().store().snapshot()).map(Workload::namespace))
                .thenAccept(server -> {
                    dnsServer = server;
                    if (draining.get()) {
                        closeDns();
                    }
                });
    }

    private void closeDns() {
        PodDnsServer server = dnsServer;
        if (server != null) {
            server.close();
        }
    }

    private ServerBootstrap tcpListener(Consumer<EpollSocketChannel> accept) {
        return new ServerBootstrap()
                .group(shared.group())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                    @Override
                    protected void initChannel(EpollSocketChannel channel) {
                        if (!track(channel, accepted)) {
                            return;
                        }
                        TcpInputHold.install(channel);
                        accept.accept(channel);
                    }
                });
    }

    private ServerBootstrap hboneListener() {
        ServerSecurity security = ServerSecurity.mutualTls(this::serverContext);
        ChannelHandler hbone = new HboneServerInitializer(
                HboneServerConfig.defaults(security), new InboundHboneConnector(shared.context(), pod));
        return new ServerBootstrap()
                .group(shared.group())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (!track(channel, accepted) || !track(channel, hboneConnections)) {
                            return;
                        }
                        channel.pipeline().addLast(hbone);
                    }
                });
    }

    /** The TLS context the HBONE listener presents: the pod's identity's current certificate. */
    private SslContext serverContext() {
        Workload workload = pod.workload(shared.context().store().snapshot())
                .orElseThrow(() -> new IllegalStateException(
                        "pod " + uid() + " is not known to the workload store; no identity to present"));
        SpiffeId identity = pod.identity(workload)
                .orElseThrow(() -> new IllegalStateException("pod " + uid() + " has no valid identity"));
        return shared.context().certificates().serverContext(identity);
    }

    private boolean track(Channel channel, Set<Channel> set) {
        if (draining.get()) {
            Resets.reset(channel);
            return false;
        }
        set.add(channel);
        channel.closeFuture().addListener(f -> set.remove(channel));
        return true;
    }

    private void acceptOutbound(EpollSocketChannel channel) {
        shared.outbound().accept(pod, channel);
    }

    private void acceptPlaintext(EpollSocketChannel channel) {
        shared.plaintext().accept(pod, channel);
    }

    /**
     * Stops accepting, asks HBONE clients to go away (GOAWAY), lets open connections finish until {@code timeout},
     * then resets the rest and releases the pod's namespace, pool and certificate.
     */
    CompletableFuture<Void> drain(Duration timeout) {
        if (!draining.compareAndSet(false, true)) {
            return drained;
        }
        if (state != PodState.FAILED) {
            state = PodState.DRAINING;
        }
        closeAll(listeners);
        closeDns();
        for (Channel connection : hboneConnections) {
            goAway(connection, timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        awaitIdle(deadline);
        return drained;
    }

    private void awaitIdle(long deadline) {
        boolean idle = accepted.isEmpty() && shared.context().tracker().count(uid()) == 0;
        if (idle || System.nanoTime() - deadline >= 0) {
            forceClose(idle);
            return;
        }
        long wait = Math.min(IDLE_CHECK.toNanos(), Math.max(0, deadline - System.nanoTime()));
        shared.group().schedule(() -> awaitIdle(deadline), wait, TimeUnit.NANOSECONDS);
    }

    private void forceClose(boolean idle) {
        List<ConnectionTracker.Tracked> open = shared.context().tracker().connectionsOf(uid());
        if (!idle) {
            log.info(
                    "pod {}: drain time is up; closing {} connection(s) and {} accepted socket(s)",
                    uid(),
                    open.size(),
                    accepted.size());
        }
        open.forEach(ConnectionTracker.Tracked::abort);
        List<CompletableFuture<?>> closing = new ArrayList<>();
        for (Channel channel : List.copyOf(accepted)) {
            closing.add(toCompletable(channel));
            Resets.reset(channel);
        }
        open.forEach(tracked -> closing.add(tracked.closeFuture()));
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                .orTimeout(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, failure) -> {
                    if (failure != null) {
                        log.warn("pod {}: some connections did not close within {}", uid(), CLOSE_WAIT);
                    }
                    // HboneClient.close() waits for its channels: never on an event loop.
                    Thread.ofVirtual().name("pod-close-" + uid()).start(() -> {
                        releaseResources();
                        log.info("pod {} removed", uid());
                        drained.complete(null);
                    });
                });
    }

    private void releaseResources() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        pod.close();
        try {
            pod.hbone().close();
        } catch (RuntimeException e) {
            log.warn("pod {}: closing its HBONE pool failed", uid(), e);
        }
        try {
            netns.close();
        } catch (ErrnoException e) {
            log.warn("pod {}: closing its namespace handle failed", uid(), e);
        }
    }

    private static void goAway(Channel connection, Duration grace) {
        connection.eventLoop().execute(() -> {
            Http2FrameCodec codec = connection.pipeline().get(Http2FrameCodec.class);
            if (codec != null) {
                codec.gracefulShutdownTimeoutMillis(grace.toMillis());
            }
            // With the codec in place this sends GOAWAY and waits for open streams up to the grace period.
            connection.close();
        });
    }

    private static CompletableFuture<Void> toCompletable(Channel channel) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        channel.closeFuture().addListener(f -> closed.complete(null));
        return closed;
    }

    private static void closeAll(List<Channel> channels) {
        channels.forEach(Channel::close);
    }

    PodInfo info() {
        Optional<Workload> workload = pod.workload(shared.context().store().snapshot());
        return new PodInfo(
                uid(),
                netns.id(),
                workload,
                pod.acquiredIdentity(),
                state,
                Optional.ofNullable(error),
                added,
                shared.context().tracker().count(uid()));
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }
}
