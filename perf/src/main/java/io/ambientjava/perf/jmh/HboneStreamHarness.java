package io.ambientjava.perf.jmh;

import io.ambientjava.hbone.HboneSettings;
import io.ambientjava.hbone.server.ConnectDecision;
import io.ambientjava.hbone.server.HboneServerConfig;
import io.ambientjava.hbone.server.HboneServerInitializer;
import io.ambientjava.hbone.server.ServerSecurity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The hbone server's real pipeline (plaintext HTTP/2, CONNECT handling, the tunnel handlers) on an
 * {@link EmbeddedChannel}, with one CONNECT stream spliced to another embedded channel standing in for the
 * upstream TCP connection. No sockets, no TLS, no threads: what is left is the frame forwarding path itself.
 *
 * <p>A real client codec opens the stream; after that the harness plays the client by hand-encoded frames,
 * returning window the way an HTTP/2 peer does (in batches at half the connection window), so the loop
 * allocates only what the forwarding path allocates.
 */
final class HboneStreamHarness implements AutoCloseable {

    /** Connection window a peer starts with (RFC 9113); the harness returns it at half. */
    private static final int INITIAL_CONNECTION_WINDOW = 65_535;

    private final EmbeddedChannel server;
    private final EmbeddedChannel upstream;
    private final EmbeddedChannel client;
    private final int streamId;
    private final ByteBuf dataFrame;
    private final ByteBuf payload;
    private final ByteBuf windowRefill;
    private final int refillBytes;
    private int sentSinceRefill;

    private HboneStreamHarness(
            EmbeddedChannel server, EmbeddedChannel upstream, EmbeddedChannel client, int streamId, int payloadSize) {
        this.server = server;
        this.upstream = upstream;
        this.client = client;
        this.streamId = streamId;
        byte[] bytes = new byte[payloadSize];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        this.payload = Unpooled.directBuffer(payloadSize).writeBytes(bytes);
        this.dataFrame = Http2Frames.data(streamId, payload);
        this.refillBytes = Math.max(payloadSize, INITIAL_CONNECTION_WINDOW / 2 / payloadSize * payloadSize);
        ByteBuf streamUpdate = Http2Frames.windowUpdate(streamId, refillBytes);
        ByteBuf connectionUpdate = Http2Frames.windowUpdate(0, refillBytes);
        this.windowRefill = Unpooled.directBuffer(streamUpdate.readableBytes() * 2)
                .writeBytes(streamUpdate)
                .writeBytes(connectionUpdate);
        streamUpdate.release();
        connectionUpdate.release();
    }

    /** Opens one CONNECT stream through the server pipeline and splices it to an embedded upstream. */
    static HboneStreamHarness open(int payloadSize) {
        if (payloadSize <= 0 || payloadSize > HboneSettings.defaults().maxFrameSize()) {
            throw new IllegalArgumentException("payload size must be 1.."
                    + HboneSettings.defaults().maxFrameSize() + " bytes (one DATA frame), got " + payloadSize);
        }
        EmbeddedChannel upstream = new EmbeddedChannel();
        HboneServerConfig config = HboneServerConfig.defaults(ServerSecurity.plaintext());
        EmbeddedChannel server = new EmbeddedChannel(new HboneServerInitializer(
                config, request -> CompletableFuture.completedFuture(ConnectDecision.connected(upstream))));
        EmbeddedChannel client = new EmbeddedChannel(
                Http2FrameCodecBuilder.forClient()
                        .initialSettings(HboneSettings.defaults().clientSettings())
                        .build(),
                new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {}
                }));
        AtomicReference<Http2HeadersFrame> response = new AtomicReference<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(client)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof Http2HeadersFrame headers) {
                            response.set(headers);
                        }
                        ReferenceCountUtil.release(msg);
                    }
                })
                .open()
                .syncUninterruptibly()
                .getNow();
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(
                new DefaultHttp2Headers().method("CONNECT").authority("127.0.0.1:8080")));
        for (int round = 0; round < 20 && response.get() == null; round++) {
            exchange(client, server);
            upstream.runPendingTasks();
        }
        if (response.get() == null
                || !"200".contentEquals(response.get().headers().status())) {
            throw new IllegalStateException("HBONE server did not accept the CONNECT: " + response.get());
        }
        HboneStreamHarness harness =
                new HboneStreamHarness(server, upstream, client, stream.stream().id(), payloadSize);
        harness.settle();
        return harness;
    }

    /** Moves bytes both ways between two embedded channels until neither has anything to say. */
    private static void exchange(EmbeddedChannel a, EmbeddedChannel b) {
        boolean moved;
        int rounds = 0;
        do {
            moved = move(a, b) | move(b, a);
        } while (moved && ++rounds < 100);
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        from.runPendingTasks();
        boolean moved = false;
        Object msg;
        while ((msg = from.readOutbound()) != null) {
            to.writeInbound(msg);
            moved = true;
        }
        to.runPendingTasks();
        return moved;
    }

    /** The client sends one DATA frame; the tunnel writes its payload upstream and returns its window. */
    long streamToUpstream() {
        server.writeInbound(dataFrame.retainedDuplicate());
        return settle();
    }

    /** The upstream sends one buffer; the tunnel sends it on the stream as one DATA frame. */
    long upstreamToStream() {
        upstream.writeInbound(payload.retainedDuplicate());
        sentSinceRefill += payload.readableBytes();
        if (sentSinceRefill >= refillBytes) {
            sentSinceRefill -= refillBytes;
            server.writeInbound(windowRefill.retainedDuplicate());
        }
        return settle();
    }

    /** Runs what the handlers scheduled and discards (and counts) what they wrote out on either channel. */
    long settle() {
        upstream.runPendingTasks();
        server.runPendingTasks();
        return drain(upstream) + drain(server);
    }

    /** The next payload written upstream, for checking that the path delivers (not for the timed loop). */
    ByteBuf takeUpstreamWrite() {
        upstream.runPendingTasks();
        server.runPendingTasks();
        return upstream.readOutbound();
    }

    ByteBuf payload() {
        return payload;
    }

    int streamId() {
        return streamId;
    }

    EmbeddedChannel server() {
        return server;
    }

    private static long drain(EmbeddedChannel channel) {
        long bytes = 0;
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            if (msg instanceof ByteBuf buf) {
                bytes += buf.readableBytes();
            }
            ReferenceCountUtil.release(msg);
        }
        return bytes;
    }

    @Override
    public void close() {
        upstream.finishAndReleaseAll();
        server.finishAndReleaseAll();
        client.finishAndReleaseAll();
        dataFrame.release();
        windowRefill.release();
        payload.release();
    }
}
