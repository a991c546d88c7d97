package io.ambientjava.hbone.client;

import io.ambientjava.hbone.HboneHeaders;
import io.ambientjava.hbone.tunnel.TunnelSettings;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * On a client stream until it is spliced: completes the connect future on the response (200 or a refusal), then
 * keeps whatever the peer sends early (server-first protocols) for the tunnel.
 */
final class ConnectResponseHandler extends ChannelInboundHandlerAdapter {

    private final ConnectRequest request;
    private final PooledConnection connection;
    private final TunnelSettings tunnelSettings;
    private final CompletableFuture<HboneStream> result;
    private final List<Http2Frame> earlyFrames = new ArrayList<>();
    private boolean responded;
    private String resetReason;

    ConnectResponseHandler(
            ConnectRequest request,
            PooledConnection connection,
            TunnelSettings tunnelSettings,
            CompletableFuture<HboneStream> result) {
        this.request = request;
        this.connection = connection;
        this.tunnelSettings = tunnelSettings;
        this.result = result;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (responded) {
            if (msg instanceof Http2Frame frame) {
                earlyFrames.add(frame);
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (!(msg instanceof Http2HeadersFrame response)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        responded = true;
        CharSequence status = response.headers().status();
        if (status != null && "200".contentEquals(status)) {
            ctx.channel().config().setAutoRead(false);
            if (response.isEndStream()) {
                earlyFrames.add(response); // the peer has nothing to send: the tunnel reads it as END_STREAM
            }
            var stream = new HboneStream(
                    (Http2StreamChannel) ctx.channel(),
                    response.headers(),
                    connection.peerIdentity,
                    this,
                    tunnelSettings);
            if (!result.complete(stream)) {
                ctx.close();
            }
            return;
        }
        CharSequence reason = response.headers().get(HboneHeaders.ERROR);
        int code = parseStatus(status);
        result.completeExceptionally(new HboneRefusedException(
                request.authority() + " via " + request.peer(),
                code,
                Optional.ofNullable(reason).map(CharSequence::toString)));
        ctx.close();
    }

    /** Stream loop: the tunnel takes over; this handler leaves the pipeline. */
    List<Http2Frame> takeEarlyFrames() {
        List<Http2Frame> frames = List.copyOf(earlyFrames);
        earlyFrames.clear();
        return frames;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            Http2Error error = Http2Error.valueOf(reset.errorCode());
            resetReason = "stream reset by peer (" + (error == null ? reset.errorCode() : error) + ")";
        } else if (evt instanceof Http2GoAwayFrame goAway) {
            resetReason = "peer is going away (GOAWAY) and did not process the stream";
            goAway.release();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        earlyFrames.forEach(ReferenceCountUtil::release);
        earlyFrames.clear();
        if (!result.isDone()) {
            result.completeExceptionally(new HboneConnectException("CONNECT " + request.authority() + " via "
                    + request.peer() + " ended before a response: "
                    + (resetReason != null ? resetReason : "stream closed")));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        result.completeExceptionally(new HboneConnectException(
                "CONNECT " + request.authority() + " via " + request.peer() + " failed: " + cause.getMessage(), cause));
        ctx.close();
    }

    private static int parseStatus(CharSequence status) {
        try {
            return status == null ? 0 : Integer.parseInt(status.toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
