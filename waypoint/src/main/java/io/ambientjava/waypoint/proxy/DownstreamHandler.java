package io.ambientjava.waypoint.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Receives requests as HTTP objects, from an HTTP/1.1 connection (one request at a time; a pipelined next request
 * waits, unread, until the current one is answered) or from one HTTP/2 stream, and runs a {@link RequestFlow}
 * for each. While a request's body is still due, a client that goes quiet for the stream idle timeout (or takes
 * longer than the request timeout in all) gets 408 and the request's upstream exchange is released.
 */
final class DownstreamHandler extends ChannelInboundHandlerAdapter {

    private final ProxyRuntime runtime;
    private final DownstreamContext context;
    private final boolean http2;
    private final boolean upgradedFromHttp1;
    private RequestFlow flow;
    private boolean requestEnded;
    private final java.util.ArrayDeque<Object> queued = new java.util.ArrayDeque<>();
    private ScheduledFuture<?> stallTimer;
    private long requestStartNanos;
    private long lastReadNanos;

    DownstreamHandler(ProxyRuntime runtime, DownstreamContext context, boolean http2) {
        this(runtime, context, http2, false);
    }

    /**
     * {@code upgradedFromHttp1}: the connection began as HTTP/1.1 and took the client's h2c upgrade. The upgrade is
     * an offer for this hop only (the JDK's HttpClient makes it by default), so upstream stays HTTP/1.1 unless the
     * cluster asks for HTTP/2: an HTTP/1.1-only app must not be spoken to in HTTP/2 because its client upgraded.
     */
    DownstreamHandler(ProxyRuntime runtime, DownstreamContext context, boolean http2, boolean upgradedFromHttp1) {
        this.runtime = runtime;
        this.context = context;
        this.http2 = http2;
        this.upgradedFromHttp1 = upgradedFromHttp1;
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
            RequestFlow started =
                    new RequestFlow(ctx, runtime, context, http2, upgradedFromHttp1, request, () -> onFlowDone(ctx));
            flow = started;
            requestStartNanos = lastReadNanos = System.nanoTime();
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
        lastReadNanos = System.nanoTime();
        if (content instanceof LastHttpContent) {
            requestEnded = true;
            cancelStallTimer();
            if (!http2 && !flow.isFinished()) {
                // Read no further request until this one is answered.
                ctx.channel().config().setAutoRead(false);
            }
        }
        flow.onBody(content);
    }

    /** Only a request still open when a read batch ends needs a timer (most arrive whole in one batch). */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (flow != null && !requestEnded && !flow.isFinished() && stallTimer == null) {
            armStallTimer(ctx);
        }
        ctx.fireChannelReadComplete();
    }

    /** Checks again at the earlier of the idle and the overall deadline; the check re-arms itself. */
    private void armStallTimer(ChannelHandlerContext ctx) {
        ProxyLimits limits = runtime.limits();
        long idleDeadline = lastReadNanos + limits.streamIdleTimeout().toNanos();
        long deadline = idleDeadline;
        if (!limits.requestTimeout().isZero()) {
            deadline = Math.min(
                    deadline, requestStartNanos + limits.requestTimeout().toNanos());
        }
        RequestFlow watched = flow;
        stallTimer = ctx.executor()
                .schedule(
                        () -> checkStall(ctx, watched),
                        Math.max(0, deadline - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
    }

    private void checkStall(ChannelHandlerContext ctx, RequestFlow watched) {
        stallTimer = null;
        if (watched != flow || requestEnded || flow.isFinished()) {
            return;
        }
        ProxyLimits limits = runtime.limits();
        long now = System.nanoTime();
        if (!limits.requestTimeout().isZero()
                && now - requestStartNanos >= limits.requestTimeout().toNanos()) {
            flow.onRequestStalled("request timeout");
        } else if (now - lastReadNanos >= limits.streamIdleTimeout().toNanos()) {
            flow.onRequestStalled("stream timeout");
        } else {
            armStallTimer(ctx);
        }
    }

    private void cancelStallTimer() {
        if (stallTimer != null) {
            stallTimer.cancel(false);
            stallTimer = null;
        }
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
        cancelStallTimer();
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
