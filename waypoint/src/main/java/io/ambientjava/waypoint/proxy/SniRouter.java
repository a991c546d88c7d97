package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.config.ListenerConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;

/**
 * TLS passthrough: reads the server name from the client hello without terminating TLS, then hands the connection,
 * client hello included, to the TCP proxy of the filter chain that name picks. A name no chain takes (or bytes that
 * are not a client hello, when there is no default chain) closes the connection, as Envoy does.
 */
final class SniRouter extends AbstractSniHandler<ListenerConfig.Tcp> {

    private static final long CLIENT_HELLO_TIMEOUT_MILLIS = 10_000;

    private final ListenerConfig.TlsPassthrough chains;
    private final ProxyRuntime runtime;
    private final DownstreamContext context;

    SniRouter(ListenerConfig.TlsPassthrough chains, ProxyRuntime runtime, DownstreamContext context) {
        super(CLIENT_HELLO_TIMEOUT_MILLIS);
        this.chains = chains;
        this.runtime = runtime;
        this.context = context;
    }

    @Override
    protected Future<ListenerConfig.Tcp> lookup(ChannelHandlerContext ctx, String hostname) {
        return chains.forServerName(hostname)
                .<Future<ListenerConfig.Tcp>>map(tcp -> ctx.executor().newSucceededFuture(tcp))
                .orElseGet(() -> ctx.executor()
                        .newFailedFuture(new IllegalArgumentException("no filter chain for the server name "
                                + (hostname == null ? "(none sent)" : "'" + hostname + "'"))));
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<ListenerConfig.Tcp> future) {
        if (!future.isSuccess()) {
            ctx.close();
            return;
        }
        // Replacing this decoder passes the client hello it holds on to the TCP proxy, which sends it upstream.
        ctx.pipeline().replace(this, "tcp-proxy", TcpProxyHandler.forChain(runtime, future.getNow(), context));
    }
}
