package io.ambientjava.ztunnel.proxy.outbound;

import io.ambientjava.hbone.HboneHeaders;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.client.ConnectRequest;
import io.ambientjava.hbone.client.HboneConnectException;
import io.ambientjava.hbone.client.HboneRefusedException;
import io.ambientjava.hbone.client.HboneStream;
import io.ambientjava.hbone.tunnel.Tunnel;
import io.ambientjava.hbone.tunnel.TunnelEnd;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.inpod.netns.SocketOptions;
import io.ambientjava.ztunnel.proxy.ConnectionTracker;
import io.ambientjava.ztunnel.proxy.LocalPod;
import io.ambientjava.ztunnel.proxy.ProxyContext;
import io.ambientjava.ztunnel.proxy.Resets;
import io.ambientjava.ztunnel.proxy.TcpRelay;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles connections captured on a pod's outbound listener (15001): finds where the app meant to go
 * ({@code SO_ORIGINAL_DST}), routes it ({@link OutboundRouter}), and connects from inside the pod: an HBONE tunnel
 * as the pod's identity, or plain TCP. A service endpoint that cannot be reached is skipped for the next one.
 */
public final class OutboundProxy {

    private static final Logger log = LoggerFactory.getLogger(OutboundProxy.class);

    private final ProxyContext context;
    private final OutboundRouter router;

    public OutboundProxy(ProxyContext context) {
        this.context = Objects.requireNonNull(context, "context");
        this.router = new OutboundRouter(
                context.picker(),
                context.settings().hbonePort(),
                context.settings().defaultTrustDomain());
    }

    /** Takes over a connection accepted on {@code pod}'s outbound listener (auto-read off, half-closure allowed). */
    public void accept(LocalPod pod, EpollSocketChannel downstream) {
        InetSocketAddress destination;
        try {
            destination = SocketOptions.originalDestination(downstream);
        } catch (IOException | RuntimeException e) {
            log.warn(
                    "outbound connection from {} in {} was not redirected (no original destination): {}",
                    downstream.remoteAddress(),
                    pod,
                    e.getMessage());
            Resets.reset(downstream);
            return;
        }
        new Attempt(pod, downstream, destination).start();
    }

    /** One outbound connection, from capture until it is opened or refused. */
    private final class Attempt {
        private final LocalPod pod;
        private final EpollSocketChannel downstream;
        private final InetSocketAddress destination;
        private final InetSocketAddress source;
        private final long id = ConnectionTracker.nextId();
        private final Instant started = Instant.now();
        private final Set<String> failedEndpoints = new HashSet<>();
        private StateSnapshot snapshot;
        private Workload sourceWorkload;
        private Optional<SpiffeId> sourceIdentity = Optional.empty();
        private int attempts;
        private String lastFailure;

        Attempt(LocalPod pod, EpollSocketChannel downstream, InetSocketAddress destination) {
            this.pod = pod;
            this.downstream = downstream;
            this.destination = destination;
            this.source = downstream.remoteAddress();
        }

        void start() {
            snapshot = context.store().snapshot();
            Optional<Workload> workload = pod.workload(snapshot);
            if (workload.isEmpty()) {
                refuse(
                        info(destination, Optional.empty(), Optional.empty(), Optional.empty(), SecurityPolicy.UNKNOWN),
                        "source workload " + pod.uid() + " is not known to the workload store");
                return;
            }
            sourceWorkload = workload.get();
            sourceIdentity = pod.identity(sourceWorkload);
            next();
        }

        /** Routes and connects; called again with the failed endpoint excluded when an endpoint fails. */
        void next() {
            attempts++;
            follow(router.route(snapshot, sourceWorkload, destination, failedEndpoints));
        }

        private void follow(OutboundRoute route) {
            switch (route) {
                case OutboundRoute.Unroutable unroutable ->
                    refuse(
                            info(
                                    destination,
                                    Optional.empty(),
                                    unroutable.service(),
                                    Optional.empty(),
                                    SecurityPolicy.UNKNOWN),
                            lastFailure == null
                                    ? unroutable.reason()
                                    : unroutable.reason() + " (last failure: " + lastFailure + ")");
                case OutboundRoute.Passthrough passthrough -> passthrough(passthrough);
                case OutboundRoute.Hbone hbone -> hbone(hbone);
                case OutboundRoute.ByHostname byHostname -> resolve(byHostname);
            }
        }

        private void resolve(OutboundRoute.ByHostname route) {
            context.hostnames()
                    .resolve(route.hostname())
                    .whenComplete((ip, error) -> downstream.eventLoop().execute(() -> {
                        if (error == null) {
                            follow(router.resolved(route, ip));
                            return;
                        }
                        ConnectionInfo info = info(
                                destination,
                                route.destinationWorkload(),
                                route.service(),
                                Optional.empty(),
                                SecurityPolicy.NONE);
                        failed(route, info, describe(error), true);
                    }));
        }

        private void passthrough(OutboundRoute.Passthrough route) {
            ConnectionInfo info = info(
                    route.target(),
                    route.destinationWorkload(),
                    route.service(),
                    Optional.empty(),
                    SecurityPolicy.NONE);
            pod.sockets()
                    .connect(downstream.eventLoop(), route.target(), Optional.empty())
                    .whenComplete((upstream, error) -> {
                        if (error != null) {
                            failed(
                                    route,
                                    info,
                                    "connecting to " + route.target() + " failed: " + describe(error),
                                    true);
                            return;
                        }
                        TcpRelay relay = TcpRelay.start(downstream, upstream);
                        ConnectionTracker.Tracked tracked = context.tracker()
                                .opened(
                                        info,
                                        pod.uid(),
                                        relay::clientToServer,
                                        relay::serverToClient,
                                        () -> relay.abort("aborted by ztunnel"));
                        relay.completion()
                                .thenAccept(result -> tracked.closed(
                                        result.clientToServer(), result.serverToClient(), result.error()));
                        abortIfPodClosed(tracked);
                    });
        }

        private void hbone(OutboundRoute.Hbone route) {
            ConnectionInfo info = info(
                    route.target(),
                    route.destinationWorkload(),
                    route.service(),
                    Optional.of(route.expectedIdentities().iterator().next()),
                    SecurityPolicy.MUTUAL_TLS);
            if (sourceIdentity.isEmpty()) {
                refuse(info, "source workload " + sourceWorkload.uid() + " has no valid identity for mTLS");
                return;
            }
            SpiffeId identity = sourceIdentity.get();
            ConnectRequest request;
            try {
                request = request(route, identity);
            } catch (IllegalArgumentException e) {
                refuse(info, "cannot build the CONNECT request: " + e.getMessage());
                return;
            }
            context.certificates()
                    .ready(identity)
                    .thenCompose(ready -> pod.hbone().connect(request, downstream.eventLoop()))
                    .whenComplete((stream, error) -> {
                        if (error != null) {
                            Throwable cause = unwrap(error);
                            failed(route, info, describe(cause), retryable(cause));
                            return;
                        }
                        opened(stream, info);
                    });
        }

        private ConnectRequest request(OutboundRoute.Hbone route, SpiffeId identity) {
            String forwarded = HboneHeaders.forwardedFor(source)
                    + route.service().map(s -> ";host=" + s.hostname()).orElse("");
            ConnectRequest request = new ConnectRequest(
                            ClientSecurity.mutualTls(
                                    identity, () -> context.certificates().clientContext(identity)),
                            route.expectedIdentities(),
                            route.peer(),
                            HboneAuthority.of(route.target()),
                            Map.of(),
                            pod.sockets().dialer())
                    .withHeader(HboneHeaders.FORWARDED.toString(), forwarded);
            String baggage = Baggage.of(sourceWorkload);
            return baggage.isEmpty() ? request : request.withHeader(HboneHeaders.BAGGAGE.toString(), baggage);
        }

        private void opened(HboneStream stream, ConnectionInfo info) {
            if (!downstream.eventLoop().inEventLoop()) {
                downstream.eventLoop().execute(() -> opened(stream, info));
                return;
            }
            Tunnel tunnel;
            try {
                tunnel = stream.spliceTo(downstream);
            } catch (RuntimeException e) {
                stream.reset();
                refuse(info, "cannot splice the tunnel: " + e.getMessage());
                return;
            }
            ConnectionTracker.Tracked tracked =
                    context.tracker().opened(info, pod.uid(), tunnel::bytesFromTcp, tunnel::bytesToTcp, tunnel::abort);
            tunnel.completion()
                    .thenAccept(result -> tracked.closed(
                            result.bytesFromTcp(),
                            result.bytesToTcp(),
                            result.end() == TunnelEnd.COMPLETED
                                    ? Optional.empty()
                                    : Optional.of(result.end()
                                            + result.detail().map(d -> ": " + d).orElse(""))));
            abortIfPodClosed(tracked);
        }

        private void failed(OutboundRoute route, ConnectionInfo info, String reason, boolean retryable) {
            Optional<String> endpoint = route.retryableEndpoint();
            if (retryable
                    && endpoint.isPresent()
                    && attempts < context.settings().maxConnectAttempts()
                    && downstream.isActive()
                    && !pod.isClosed()) {
                log.debug(
                        "outbound connection {}: endpoint {} failed ({}); trying another", id, endpoint.get(), reason);
                failedEndpoints.add(endpoint.get());
                lastFailure = reason;
                next();
                return;
            }
            refuse(info, reason);
        }

        private void abortIfPodClosed(ConnectionTracker.Tracked tracked) {
            if (pod.isClosed()) {
                tracked.abort();
            }
        }

        private void refuse(ConnectionInfo info, String reason) {
            context.tracker().refused(info, reason);
            Resets.reset(downstream);
        }

        private ConnectionInfo info(
                InetSocketAddress target,
                Optional<Workload> destinationWorkload,
                Optional<Service> service,
                Optional<SpiffeId> destinationIdentity,
                SecurityPolicy policy) {
            return new ConnectionInfo(
                    id,
                    Reporter.SOURCE,
                    source,
                    target,
                    Optional.ofNullable(sourceWorkload),
                    destinationWorkload,
                    service,
                    sourceIdentity,
                    destinationIdentity,
                    policy,
                    started);
        }
    }

    /** Whether another endpoint may do better: the peer was unreachable or could not reach its app. */
    private static boolean retryable(Throwable cause) {
        if (cause instanceof HboneRefusedException refused) {
            return refused.status() == 503;
        }
        return cause instanceof HboneConnectException;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static String describe(Throwable error) {
        Throwable cause = unwrap(error);
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
