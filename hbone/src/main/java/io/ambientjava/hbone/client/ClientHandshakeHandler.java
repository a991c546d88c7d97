package io.ambientjava.hbone.client;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.tls.MeshTls;
import io.ambientjava.identity.tls.PeerIdentity;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.Optional;
import java.util.Set;

/** After the TLS handshake: ALPN must be h2 and the peer's SPIFFE ID one of the expected; then HTTP/2. */
final class ClientHandshakeHandler extends ChannelInboundHandlerAdapter {

    private final ConnectionFactory factory;
    private final PooledConnection connection;
    private final Set<SpiffeId> expected;

    ClientHandshakeHandler(ConnectionFactory factory, PooledConnection connection, Set<SpiffeId> expected) {
        this.factory = factory;
        this.connection = connection;
        this.expected = expected;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof SslHandshakeCompletionEvent done)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        var peer = connection.key.peer();
        if (!done.isSuccess()) {
            factory.fail(
                    connection,
                    new HboneConnectException(
                            "TLS handshake with HBONE peer " + peer + " failed: "
                                    + done.cause().getMessage(),
                            done.cause()));
            return;
        }
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        try {
            MeshTls.requireH2(ssl);
            connection.peerIdentity =
                    Optional.of(PeerIdentity.verify(ssl.engine().getSession(), expected));
        } catch (RuntimeException e) {
            factory.fail(
                    connection, new HboneConnectException("HBONE peer " + peer + " refused: " + e.getMessage(), e));
            return;
        }
        factory.installHttp2(ctx.pipeline(), connection);
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        factory.fail(
                connection,
                new HboneConnectException(
                        "HBONE connection to " + connection.key.peer() + " failed: " + cause.getMessage(), cause));
    }
}
