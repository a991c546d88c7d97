package io.ambientjava.ztunnel.proxy.inbound;

import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.HboneConnector;
import io.ambientjava.hbone.server.InboundConnect;
import io.ambientjava.hbone.tunnel.Tunnel;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.proxy.ByteCounter;
import io.ambientjava.ztunnel.proxy.ConnectionTracker;
import io.ambientjava.ztunnel.proxy.InboundAuthorization;
import io.ambientjava.ztunnel.proxy.LocalPod;
import io.ambientjava.ztunnel.proxy.ProxyContext;
import io.ambientjava.ztunnel.proxy.Resets;
import io.ambientjava.ztunnel.proxy.ServiceGuess;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.policy.AuthorizationDecision;
import io.ambientjava.ztunnel.state.policy.InboundConnection;
import io.ambientjava.ztunnel.state.policy.SourceIdentity;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Decides on CONNECTs arriving at a pod's HBONE listener (15008): the authority must be one of the pod's addresses,
 * L4 authorization must allow the client (identity from mTLS, address from {@code forwarded} or the peer), and then
 * the app is dialed from inside the pod with the client's IP as source. Denials answer 401 with the policy's
 * reason; an authority that is not the pod's answers 400; an app that cannot be reached 503.
 */
public final class InboundHboneConnector implements HboneConnector {

    private final ProxyContext context;
    private final LocalPod pod;

    public InboundHboneConnector(ProxyContext context, LocalPod pod) {
        this.context = Objects.requireNonNull(context, "context");
        this.pod = Objects.requireNonNull(pod, "pod");
    }

    @Override
    public CompletionStage<ConnectDecision> connect(InboundConnect request) {
        long id = ConnectionTracker.nextId();
        Instant started = Instant.now();
        StateSnapshot snapshot = context.store().snapshot();
        InetSocketAddress peer = request.connection().remoteAddress() instanceof InetSocketAddress address
                ? address
                : new InetSocketAddress(0);
        InetSocketAddress source =
                request.forwarded().flatMap(ForwardedFor::parse).orElse(peer);
        InetSocketAddress target = request.authority().socketAddress();
        Optional<SpiffeId> peerIdentity = request.connection().peerIdentity();
        Optional<Workload> workload = pod.workload(snapshot);
        Optional<Workload> sourceWorkload =
                workload.flatMap(w -> snapshot.workloadAt(w.network(), source.getAddress()));
        ConnectionInfo info = new ConnectionInfo(
                id,
                Reporter.DESTINATION,
                source,
                target,
                sourceWorkload,
                workload,
                workload.flatMap(w -> ServiceGuess.forTargetPort(snapshot, w, target.getPort())),
                peerIdentity,
                workload.flatMap(pod::identity),
                SecurityPolicy.MUTUAL_TLS,
                started);

        if (workload.isEmpty()) {
            return refuse(info, 503, "destination pod " + pod.uid() + " is not known to the workload store");
        }
        if (!workload.get().addresses().contains(target.getAddress())) {
            return refuse(
                    info,
                    400,
                    "CONNECT authority " + request.authority() + " is not an address of pod " + pod.uid() + " "
                            + workload.get().addresses().stream()
                                    .map(a -> a.getHostAddress())
                                    .toList());
        }
        if (peerIdentity.isEmpty()) {
            return refuse(info, 401, "the client presented no identity");
        }
        SourceIdentity sourceIdentity;
        try {
            sourceIdentity = SourceIdentity.parse(peerIdentity.get().toString());
        } catch (IllegalArgumentException e) {
            return refuse(info, 401, "client identity " + peerIdentity.get() + " is not usable: " + e.getMessage());
        }
        AuthorizationDecision decision = InboundAuthorization.evaluate(
                snapshot,
                new InboundConnection(
                        Optional.of(sourceIdentity),
                        source.getAddress(),
                        workload.get(),
                        target.getAddress(),
                        target.getPort()));
        if (!decision.allowed()) {
            return refuse(info, 401, decision.reason());
        }
        return pod.sockets()
                .connect(
                        request.eventLoop(),
                        target,
                        context.settings().preserveClientIp() ? Optional.of(source.getAddress()) : Optional.empty())
                .handle((upstream, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause()
                                : error;
                        context.tracker()
                                .refused(info, "connecting to the app at " + target + " failed: " + cause.getMessage());
                        return ConnectDecision.unavailable(
                                "connecting to " + target + " failed: " + cause.getMessage());
                    }
                    track(upstream, info);
                    return ConnectDecision.connected(upstream);
                });
    }

    private void track(Channel upstream, ConnectionInfo info) {
        ByteCounter counter = new ByteCounter();
        upstream.pipeline().addFirst(ByteCounter.NAME, counter);
        Tunnel.holdInput(upstream);
        ConnectionTracker.Tracked tracked = context.tracker()
                .opened(info, pod.uid(), counter::written, counter::read, () -> Resets.reset(upstream));
        upstream.closeFuture().addListener(f -> tracked.closed(counter.written(), counter.read(), counter.error()));
        if (pod.isClosed()) {
            tracked.abort();
        }
    }

    private CompletableFuture<ConnectDecision> refuse(ConnectionInfo info, int status, String reason) {
        context.tracker().refused(info, reason);
        return CompletableFuture.completedFuture(new ConnectDecision.Refused(status, reason));
    }
}
