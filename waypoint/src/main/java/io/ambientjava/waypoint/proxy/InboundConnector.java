package io.ambientjava.waypoint.proxy;

import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.HboneConnector;
import io.ambientjava.hbone.server.InboundConnect;
import io.ambientjava.waypoint.bytestream.StreamBytesAdapter;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Takes HBONE CONNECTs for service VIPs and for the pods the waypoint takes workload-addressed traffic for: refuses
 * an address and port the waypoint has no listener for, otherwise serves
 * the stream itself: the tunnel's bytes go through the same HTTP (or TCP proxy) pipeline as a plain downstream
 * connection, on the stream's event loop, with no socket in between.
 */
public final class InboundConnector implements HboneConnector {

    /** How long a closed tunnel waits for the client to end its side (as a TCP close would see its FIN). */
    static final Duration CLOSE_LINGER = Duration.ofSeconds(10);

    private final ProxyRuntime runtime;

    public InboundConnector(ProxyRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public CompletionStage<ConnectDecision> connect(InboundConnect request) {
        InetSocketAddress target = request.authority().socketAddress();
        String ip = target.getAddress().getHostAddress();
        Optional<ListenerConfig> listener = runtime.config().listenerFor(ip, target.getPort());
        if (listener.isEmpty()) {
            return CompletableFuture.completedFuture(
                    ConnectDecision.unavailable("the waypoint has no listener for " + ip + ":" + target.getPort()));
        }
        DownstreamContext context = new DownstreamContext(
                ip,
                target.getPort(),
                request.connection().peerIdentity(),
                request.forwarded()
                        .flatMap(InboundConnector::parseForwardedFor)
                        .or(() -> Optional.of(
                                (InetSocketAddress) request.connection().remoteAddress())),
                request.baggage(),
                false,
                listener.get().workload().map(pod -> pod.at(target)));
        return CompletableFuture.completedFuture(
                ConnectDecision.adopted((stream, early) -> serve(stream, early, context)));
    }

    private void serve(Http2StreamChannel stream, List<Http2Frame> early, DownstreamContext context) {
        stream.pipeline().addLast("hbone-bytes", StreamBytesAdapter.lingeringOnClose(CLOSE_LINGER));
        DownstreamPipeline.install(stream, runtime, context);
        for (Http2Frame frame : early) {
            stream.pipeline().fireChannelRead(frame);
        }
        if (!early.isEmpty()) {
            stream.pipeline().fireChannelReadComplete();
        }
        stream.config().setAutoRead(true);
    }

    /** {@code for="198.18.0.5:43210"} (or unquoted, or IPv6 in brackets) → the address. */
    static Optional<InetSocketAddress> parseForwardedFor(String forwarded) {
        for (String part : forwarded.split("[;,]")) {
            String p = part.trim();
            if (!p.regionMatches(true, 0, "for=", 0, 4)) {
                continue;
            }
            String value = p.substring(4).replace("\"", "");
            int colon = value.lastIndexOf(':');
            try {
                if (value.startsWith("[")) {
                    int close = value.indexOf(']');
                    String host = value.substring(1, close);
                    int port = close + 1 < value.length() ? Integer.parseInt(value.substring(close + 2)) : 0;
                    return Optional.of(new InetSocketAddress(InetAddress.ofLiteral(host), port));
                }
                if (colon > 0) {
                    return Optional.of(new InetSocketAddress(
                            InetAddress.ofLiteral(value.substring(0, colon)),
                            Integer.parseInt(value.substring(colon + 1))));
                }
                return Optional.of(new InetSocketAddress(InetAddress.ofLiteral(value), 0));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
