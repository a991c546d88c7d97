package io.ambientjava.ztunnel.proxy.inboundpassthrough;

import io.ambientjava.ztunnel.inpod.netns.SocketOptions;
import io.ambientjava.ztunnel.proxy.ConnectionTracker;
import io.ambientjava.ztunnel.proxy.InboundAuthorization;
import io.ambientjava.ztunnel.proxy.LocalPod;
import io.ambientjava.ztunnel.proxy.ProxyContext;
import io.ambientjava.ztunnel.proxy.Resets;
import io.ambientjava.ztunnel.proxy.ServiceGuess;
import io.ambientjava.ztunnel.proxy.TcpRelay;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.policy.AuthorizationDecision;
import io.ambientjava.ztunnel.state.policy.InboundConnection;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles plaintext connections captured on a pod's inbound listener (15006): the client sent no identity, so L4
 * authorization sees none (a STRICT PeerAuthentication, a DENY on the absence of a principal, refuses them);
 * allowed ones are relayed to the app from the client's own IP.
 */
public final class InboundPlaintextProxy {

    private static final Logger log = LoggerFactory.getLogger(InboundPlaintextProxy.class);

    private final ProxyContext context;

    public InboundPlaintextProxy(ProxyContext context) {
        this.context = Objects.requireNonNull(context, "context");
    }

    /** Takes over a connection accepted on {@code pod}'s plaintext listener (auto-read off, half-closure allowed). */
    public void accept(LocalPod pod, EpollSocketChannel downstream) {
        InetSocketAddress target;
        try {
            target = SocketOptions.originalDestination(downstream);
        } catch (IOException | RuntimeException e) {
            log.warn(
                    "inbound connection from {} to {} was not redirected (no original destination): {}",
                    downstream.remoteAddress(),
                    pod,
                    e.getMessage());
            Resets.reset(downstream);
            return;
        }
        InetSocketAddress source = downstream.remoteAddress();
        StateSnapshot snapshot = context.store().snapshot();
        Optional<Workload> workload = pod.workload(snapshot);
        ConnectionInfo info = new ConnectionInfo(
                ConnectionTracker.nextId(),
                Reporter.DESTINATION,
                source,
                target,
                workload.flatMap(w -> snapshot.workloadAt(w.network(), source.getAddress())),
                workload,
                workload.flatMap(w -> ServiceGuess.forTargetPort(snapshot, w, target.getPort())),
                Optional.empty(),
                workload.flatMap(pod::identity),
                SecurityPolicy.NONE,
                Instant.now());
        if (workload.isEmpty()) {
            refuse(downstream, info, "destination pod " + pod.uid() + " is not known to the workload store");
            return;
        }
        if (!workload.get().addresses().contains(target.getAddress())) {
            refuse(downstream, info, "original destination " + target + " is not an address of pod " + pod.uid());
            return;
        }
        AuthorizationDecision decision = InboundAuthorization.evaluate(
                snapshot,
                new InboundConnection(
                        Optional.empty(), source.getAddress(), workload.get(), target.getAddress(), target.getPort()));
        if (!decision.allowed()) {
            refuse(downstream, info, decision.reason());
            return;
        }
        pod.sockets()
                .connect(
                        downstream.eventLoop(),
                        target,
                        context.settings().preserveClientIp() ? Optional.of(source.getAddress()) : Optional.empty())
                .whenComplete((upstream, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause()
                                : error;
                        refuse(
                                downstream,
                                info,
                                "connecting to the app at " + target + " failed: " + cause.getMessage());
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
                            .thenAccept(result ->
                                    tracked.closed(result.clientToServer(), result.serverToClient(), result.error()));
                    if (pod.isClosed()) {
                        tracked.abort();
                    }
                });
    }

    private void refuse(EpollSocketChannel downstream, ConnectionInfo info, String reason) {
        context.tracker().refused(info, reason);
        Resets.reset(downstream);
    }
}
