package io.ambientjava.hbone.server;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.tls.MeshTls;
import io.ambientjava.identity.tls.PeerIdentity;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for the TLS handshake, requires ALPN h2 and a SPIFFE identity in the client certificate, then puts
 * HTTP/2 in its place. Every refused connection is logged once with its reason.
 */
final class ServerHandshakeHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ServerHandshakeHandler.class);

    private final HboneServerInitializer initializer;
    private boolean refused;

    ServerHandshakeHandler(HboneServerInitializer initializer) {
        this.initializer = initializer;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof SslHandshakeCompletionEvent done)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        if (!done.isSuccess()) {
            refuse(ctx, "TLS handshake failed: " + describe(done.cause()));
            return;
        }
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        SpiffeId peer;
        try {
            MeshTls.requireH2(ssl);
            peer = PeerIdentity.of(ssl.engine().getSession());
        } catch (RuntimeException e) {
            refuse(ctx, e.getMessage());
            return;
        }
        var connection = new InboundConnection(
                Optional.of(peer), ctx.channel().remoteAddress(), ctx.channel().localAddress());
        log.debug("HBONE connection from {} established", connection);
        initializer.installHttp2(ctx.pipeline(), connection);
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        refuse(ctx, describe(cause));
    }

    private void refuse(ChannelHandlerContext ctx, String reason) {
        if (!refused) {
            refused = true;
            log.info("HBONE connection from {} refused: {}", ctx.channel().remoteAddress(), reason);
        }
        ctx.close();
    }

    private static String describe(Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof NotSslRecordException) {
            return "not a TLS connection (" + root.getMessage() + ")";
        }
        // TLS engines wrap the useful part (an untrusted chain, a missing certificate) in generic exceptions.
        Throwable deepest = root;
        while (deepest.getCause() != null && deepest.getCause() != deepest) {
            deepest = deepest.getCause();
        }
        String summary = root.getClass().getSimpleName() + ": " + root.getMessage();
        return deepest == root
                ? summary
                : summary + " (" + deepest.getClass().getSimpleName() + ": " + deepest.getMessage() + ")";
    }
}
