package io.ambientjava.waypoint.upstream;

import io.ambientjava.waypoint.bytestream.StreamBytesAdapter;
import io.ambientjava.waypoint.config.UpstreamTls;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * TLS on a byte channel from {@link Transport#open}: the handshake runs before the channel is handed on, so a server
 * that fails it (a certificate from another CA, another name, no client certificate accepted) is a connection
 * failure, as in Envoy, and no request is written to it. What the server sends right after the handshake (an HTTP/2
 * server's SETTINGS) is held until {@link Transport#startReading}, when the handlers that read it are in place.
 */
final class TlsOrigination {

    private TlsOrigination() {}

    /** Call on the channel's event loop. */
    static CompletableFuture<Channel> handshake(
            Channel ch, UpstreamTls tls, InetSocketAddress target, Duration timeout) {
        SslHandler ssl = tls.sni()
                .map(name -> tls.context().newHandler(ch.alloc(), name, target.getPort()))
                .orElseGet(() -> tls.context().newHandler(ch.alloc()));
        ssl.setHandshakeTimeoutMillis(Math.max(1, timeout.toMillis()));
        ch.pipeline().addLast("tls", ssl);
        ch.pipeline().addLast(HeldBytes.NAME, new HeldBytes());
        CompletableFuture<Channel> result = new CompletableFuture<>();
        ssl.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                result.complete(ch);
            } else {
                ch.close();
                result.completeExceptionally(new IOException(
                        "TLS handshake with " + target.getAddress().getHostAddress() + ":" + target.getPort()
                                + " failed: " + f.cause().getMessage(),
                        f.cause()));
            }
        });
        StreamBytesAdapter.startReading(ch);
        return result;
    }

    /** Passes on what {@link HeldBytes} kept, and from now on everything; nothing when the channel has no TLS. */
    static void release(Channel ch) {
        if (ch.pipeline().get(HeldBytes.NAME) != null) {
            ch.pipeline().remove(HeldBytes.NAME);
        }
    }

    /** Keeps decrypted bytes until it is removed, then passes them on in order. */
    private static final class HeldBytes extends ChannelInboundHandlerAdapter {
        static final String NAME = "tls-held-bytes";

        private final List<Object> held = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            held.add(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {}

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (held.isEmpty()) {
                return;
            }
            if (ctx.channel().isActive() || ctx.channel().isOpen()) {
                held.forEach(ctx::fireChannelRead);
                ctx.fireChannelReadComplete();
            } else {
                held.forEach(ReferenceCountUtil::release);
            }
            held.clear();
        }
    }
}
