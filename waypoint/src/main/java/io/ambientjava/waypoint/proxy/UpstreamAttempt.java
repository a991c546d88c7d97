package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.upstream.HostState;
import io.ambientjava.waypoint.upstream.Lease;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;

/**
 * One try of a request on one upstream exchange slot: sits last in the slot's pipeline while the try lasts and
 * passes what the upstream sends to its {@link Exchange} on the exchange's own event loop.
 */
final class UpstreamAttempt extends ChannelInboundHandlerAdapter {

    static final String NAME = "waypoint-attempt";

    /** The side that owns an attempt; every call comes on its event loop. */
    interface Exchange {
        void onResponseHead(UpstreamAttempt attempt, HttpResponse response);

        void onResponseBody(UpstreamAttempt attempt, HttpContent content);

        /** The upstream closed or reset before the response ended. */
        void onUpstreamLost(UpstreamAttempt attempt, String reason);
    }

    private final Exchange exchange;
    private final EventLoop loop;
    final HostState host;
    final Lease lease;
    boolean responseStarted;
    boolean done;

    UpstreamAttempt(Exchange exchange, EventLoop loop, Lease lease) {
        this.exchange = exchange;
        this.loop = loop;
        this.lease = lease;
        this.host = lease.host();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        run(() -> {
            if (done) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpResponse response) {
                if (response.status().code() == 100) {
                    ReferenceCountUtil.release(msg);
                    return; // 100 Continue is between us and the upstream
                }
                responseStarted = true;
                exchange.onResponseHead(this, response);
            }
            if (msg instanceof HttpContent content && !done) {
                exchange.onResponseBody(this, content);
            } else if (msg instanceof HttpContent content) {
                content.release();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        run(() -> {
            if (!done) {
                exchange.onUpstreamLost(this, "upstream connection closed");
            }
        });
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        run(() -> {
            if (!done) {
                exchange.onUpstreamLost(this, "upstream error: " + cause.getMessage());
            }
        });
        ctx.close();
    }

    /** Exchange loop: the try is over; the slot goes back to its pool or is closed. */
    void finish(boolean reusable) {
        if (done) {
            return;
        }
        done = true;
        var channel = lease.channel();
        channel.eventLoop().execute(() -> {
            if (channel.pipeline().get(NAME) == this) {
                channel.pipeline().remove(this);
            }
            lease.release(reusable && channel.isActive());
        });
    }

    /** Exchange loop: abandons the try, closing its slot (an HTTP/1.1 connection or an HTTP/2 stream). */
    void abort() {
        if (done) {
            return;
        }
        done = true;
        lease.channel().close();
        lease.release(false);
    }

    private void run(Runnable r) {
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }
}
