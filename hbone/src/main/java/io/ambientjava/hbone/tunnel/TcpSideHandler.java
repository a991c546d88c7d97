package io.ambientjava.hbone.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/** On the TCP channel: read bytes go to the stream as DATA frames wrapping the same buffers; FIN ends the stream. */
final class TcpSideHandler extends ChannelInboundHandlerAdapter {

    private final Tunnel tunnel;
    private final Http2StreamChannel stream;
    private boolean flushPending;

    TcpSideHandler(Tunnel tunnel) {
        this.tunnel = tunnel;
        this.stream = tunnel.stream();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.pipeline().get(TcpInputHold.NAME) instanceof TcpInputHold hold) {
            List<ByteBuf> held = hold.takeData();
            boolean ended = hold.inputEnded();
            Throwable error = hold.error();
            ctx.pipeline().remove(hold);
            for (ByteBuf buf : held) {
                channelRead(ctx, buf);
            }
            flushStream();
            if (error != null) {
                tunnel.abort(TunnelEnd.TCP_ABORTED, "tcp error before the tunnel started: " + error);
                return;
            }
            if (ended) {
                tunnel.tcpInputEnded();
                return;
            }
        }
        tunnel.streamBecameWritable();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || tunnel.isAborted() || !buf.isReadable()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        tunnel.addBytesFromTcp(buf.readableBytes());
        stream.write(new DefaultHttp2DataFrame(buf), stream.voidPromise());
        flushPending = true;
        if (!stream.isWritable()) {
            ctx.channel().config().setAutoRead(false);
            // The stream may have become writable between the check and the switch; its event then came too early.
            tunnel.streamBecameWritable();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushStream();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            flushStream();
            tunnel.tcpInputEnded();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        tunnel.tcpBecameWritable();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        tunnel.abort(TunnelEnd.TCP_ABORTED, "tcp error: " + cause);
    }

    private void flushStream() {
        if (flushPending) {
            flushPending = false;
            stream.flush();
        }
    }
}
