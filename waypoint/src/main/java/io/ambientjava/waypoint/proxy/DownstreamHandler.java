package io.ambientjava.waypoint.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * Receives requests as HTTP objects, from an HTTP/1.1 connection (one request at a time; a pipelined next request
 * waits, unread, until the current one is answered) or from one HTTP/2 stream, and runs a {@link RequestFlow}
 * for each.
 */
final class DownstreamHandler extends ChannelInboundHandlerAdapter {

    private final ProxyRuntime runtime;
    private final DownstreamContext context;
    private final boolean http2;
    private RequestFlow flow;
    private boolean requestEnded;
    private final java.util.ArrayDeque<Object> queued = new java.util.ArrayDeque<>();

    DownstreamHandler(ProxyRuntime runtime, DownstreamContext context, boolean http2) {
        this.runtime = runtime;
        this.context = context;
        this.http2 = http2;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!http2 && (!queued.isEmpty() || (flow != null && !flow.isFinished() && requestEnded))) {
            // HTTP/1.1 pipelining: the decoder hands over the next request at once; it waits for its turn.
            queued.addLast(msg);
            return;
        }
        handle(ctx, msg);
    }

    private void handle(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            requestEnded = false;
            RequestFlow started = new RequestFlow(ctx, runtime, context, http2, request, () -> onFlowDone(ctx));
            flow = started;
            started.start();
            if (msg instanceof HttpContent content) {
                onContent(ctx, content);
            } else if (request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (msg instanceof HttpContent content) {
            if (flow == null) {
                content.release();
                return;
            }
            onContent(ctx, content);
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        if (content instanceof io.netty.handler.codec.http.LastHttpContent) {
            requestEnded = true;
            if (!http2 && !flow.isFinished()) {
                // Read no further request until this one is answered.
                ctx.channel().config().setAutoRead(false);
            }
        }
        flow.onBody(content);
    }

    private void onFlowDone(ChannelHandlerContext ctx) {
        if (http2 || !requestEnded) {
            return;
        }
        // Later, so the response just written goes out before the next request starts.
        ctx.channel().eventLoop().execute(() -> {
            while (!queued.isEmpty() && (flow == null || flow.isFinished() || !requestEnded)) {
                handle(ctx, queued.pollFirst());
            }
            if (queued.isEmpty()) {
                ctx.channel().config().setAutoRead(true);
                ctx.read();
            }
        });
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (flow != null && !flow.isFinished()) {
            flow.onDownstreamWritable(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        queued.forEach(ReferenceCountUtil::release);
        queued.clear();
        if (flow != null) {
            flow.onDownstreamClosed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
