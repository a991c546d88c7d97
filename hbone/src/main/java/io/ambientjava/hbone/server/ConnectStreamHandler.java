package io.ambientjava.hbone.server;

import io.ambientjava.hbone.HboneHeaders;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.ambientjava.hbone.authority.InvalidAuthorityException;
import io.ambientjava.hbone.tunnel.Tunnel;
import io.ambientjava.hbone.tunnel.TunnelSettings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inbound HBONE stream: validates the CONNECT, asks the {@link HboneConnector}, then answers 200 and hands
 * the stream to a {@link Tunnel}, or answers 4xx/5xx with a reason. Touches only its own stream.
 */
final class ConnectStreamHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ConnectStreamHandler.class);
    private static final int MAX_REASON_LENGTH = 256;

    private enum State {
        AWAITING_REQUEST,
        CONNECTING,
        DONE
    }

    private final InboundConnection connection;
    private final HboneConnector connector;
    private final TunnelSettings tunnelSettings;
    private final List<Http2Frame> earlyFrames = new ArrayList<>();
    private State state = State.AWAITING_REQUEST;
    private boolean requestEnded;
    private String target = "?";

    ConnectStreamHandler(InboundConnection connection, HboneConnector connector, TunnelSettings tunnelSettings) {
        this.connection = connection;
        this.connector = connector;
        this.tunnelSettings = tunnelSettings;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case AWAITING_REQUEST -> {
                if (msg instanceof Http2HeadersFrame request) {
                    onRequest(ctx, request);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            case CONNECTING -> {
                // The client may send before our 200 arrives; keep it for the tunnel. It is bounded by the
                // stream window, since no window is returned until the tunnel writes it upstream.
                if (msg instanceof Http2Frame frame) {
                    requestEnded |= isEndStream(frame);
                    earlyFrames.add(frame);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            case DONE -> {
                requestEnded |= msg instanceof Http2Frame frame && isEndStream(frame);
                ReferenceCountUtil.release(msg);
            }
        }
    }

    private void onRequest(ChannelHandlerContext ctx, Http2HeadersFrame request) {
        Http2Headers headers = request.headers();
        requestEnded = request.isEndStream();
        if (headers.authority() != null) {
            target = headers.authority().toString();
        }
        CharSequence method = headers.method();
        if (method == null || !HttpMethod.CONNECT.asciiName().contentEquals(method)) {
            refuse(
                    ctx,
                    400,
                    "method " + (method == null ? "(none)" : method) + " is not allowed; HBONE accepts only CONNECT");
            return;
        }
        CharSequence rawAuthority = headers.authority();
        if (rawAuthority == null || rawAuthority.isEmpty()) {
            refuse(ctx, 400, "CONNECT without :authority");
            return;
        }
        HboneAuthority authority;
        try {
            authority = HboneAuthority.parse(rawAuthority);
        } catch (InvalidAuthorityException e) {
            refuse(ctx, 400, e.getMessage());
            return;
        }
        state = State.CONNECTING;
        ctx.channel().config().setAutoRead(false);
        if (request.isEndStream()) {
            earlyFrames.add(request); // the tunnel reads it as END_STREAM
        }
        var inbound =
                new InboundConnect(connection, authority, headers, ctx.channel().eventLoop());
        CompletionStage<ConnectDecision> decision;
        try {
            decision = connector.connect(inbound);
        } catch (RuntimeException e) {
            decision = CompletableFuture.failedFuture(e);
        }
        // Always continue on the stream's loop, also when the decision is already there.
        decision.whenComplete((d, error) -> ctx.channel().eventLoop().execute(() -> onDecision(ctx, d, error)));
    }

    private void onDecision(ChannelHandlerContext ctx, ConnectDecision decision, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause()
                    : error;
            decision = ConnectDecision.unavailable("connector failed: " + cause);
        } else if (decision == null) {
            decision = ConnectDecision.unavailable("connector returned no decision");
        }
        Channel stream = ctx.channel();
        switch (decision) {
            case ConnectDecision.Connected connected -> {
                List<Http2Frame> frames = accept(ctx);
                if (frames == null) {
                    connected.upstream().close();
                    return;
                }
                Tunnel.splice(
                        (Http2StreamChannel) stream,
                        connected.upstream(),
                        tunnelSettings,
                        Tunnel.EarlyFrames.of(frames));
                log.debug("HBONE tunnel from {} to {} open", connection, target);
            }
            case ConnectDecision.Adopted adopted -> {
                List<Http2Frame> frames = accept(ctx);
                if (frames == null) {
                    return;
                }
                try {
                    adopted.adopter().adopt((Http2StreamChannel) stream, frames);
                } catch (RuntimeException e) {
                    log.warn("HBONE stream from {} to {}: the adopter failed", connection, target, e);
                    frames.forEach(ReferenceCountUtil::release);
                    stream.close();
                }
            }
            case ConnectDecision.Refused refused -> refuse(ctx, refused.status(), refused.reason());
        }
    }

    /**
     * Answers 200 and steps aside, handing over what the client sent early; null (and nothing kept) when the client
     * went away while the connector decided.
     */
    private List<Http2Frame> accept(ChannelHandlerContext ctx) {
        Channel stream = ctx.channel();
        if (!stream.isActive() || state != State.CONNECTING) {
            log.debug("HBONE client {} went away before its stream to {} was accepted", connection, target);
            releaseEarlyFrames();
            state = State.DONE;
            return null;
        }
        state = State.DONE;
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
        List<Http2Frame> frames = List.copyOf(earlyFrames);
        earlyFrames.clear();
        ctx.pipeline().remove(this);
        return frames;
    }

    private void refuse(ChannelHandlerContext ctx, int status, String reason) {
        state = State.DONE;
        releaseEarlyFrames();
        log.info("HBONE CONNECT from {} to {} refused with {}: {}", connection, target, status, reason);
        Channel stream = ctx.channel();
        if (!stream.isActive()) {
            return;
        }
        Http2Headers headers = new DefaultHttp2Headers().status(Integer.toString(status));
        headers.set(HboneHeaders.ERROR, headerSafe(reason));
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true)).addListener(f -> {
            if (!requestEnded && stream.isActive()) {
                // The client may still be sending; tell it to stop without calling it an error (RFC 9113 8.1).
                stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
            }
            stream.close();
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEarlyFrames();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HBONE stream from {} to {} failed", connection, target, cause);
        releaseEarlyFrames();
        state = State.DONE;
        ctx.close();
    }

    private void releaseEarlyFrames() {
        earlyFrames.forEach(ReferenceCountUtil::release);
        earlyFrames.clear();
    }

    private static boolean isEndStream(Http2Frame frame) {
        return (frame instanceof Http2DataFrame data && data.isEndStream())
                || (frame instanceof Http2HeadersFrame headers && headers.isEndStream());
    }

    /** Header values may not carry control characters; keep the reason short too. */
    private static String headerSafe(String reason) {
        StringBuilder out = new StringBuilder(Math.min(reason.length(), MAX_REASON_LENGTH));
        for (int i = 0; i < reason.length() && out.length() < MAX_REASON_LENGTH; i++) {
            char c = reason.charAt(i);
            out.append(c < 0x20 || c >= 0x7f ? ' ' : c);
        }
        return out.toString();
    }
}
