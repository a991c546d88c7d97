package io.ambientjava.hbone;

import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.WeightedFairQueueByteDistributor;

/**
 * Netty's HTTP/2 frame codec builder with an outbound byte distributor suited to tunnels.
 *
 * <p>Netty's default distributor shares the sendable bytes among busy streams in turns of 1 KiB. With many
 * bulk streams on one connection that cuts every stream's data into DATA frames of about 1 KiB, and each
 * frame costs a write, a promise and, at the peer, a read, a TCP write and a window return: many times the
 * work per byte of one stream alone. HBONE does not use stream priorities, so streams take turns of
 * {@link #SEND_TURN_BYTES} instead: still fair between streams, in frames of a useful size.
 */
public final class HboneFrameCodecBuilder extends Http2FrameCodecBuilder {

    /** Bytes a busy stream may send before the next busy stream gets its turn. */
    public static final int SEND_TURN_BYTES = 64 * 1024;

    private final boolean server;

    private HboneFrameCodecBuilder(boolean server) {
        this.server = server;
        gracefulShutdownTimeoutMillis(0); // as Netty's forClient()/forServer(): no timeout at this layer
        DefaultHttp2Connection connection = new DefaultHttp2Connection(server);
        WeightedFairQueueByteDistributor distributor = new WeightedFairQueueByteDistributor(connection);
        distributor.allocationQuantum(SEND_TURN_BYTES);
        connection.remote().flowController(new DefaultHttp2RemoteFlowController(connection, distributor));
        connection(connection);
    }

    public static HboneFrameCodecBuilder forClient() {
        return new HboneFrameCodecBuilder(false);
    }

    public static HboneFrameCodecBuilder forServer() {
        return new HboneFrameCodecBuilder(true);
    }

    /**
     * Also collects partial frames in a composite buffer rather than copying: a tunnel's DATA frames are up to
     * {@link HboneSettings#maxFrameSize} long and arrive in 16 KiB TLS records, so with the default merging
     * cumulator nearly every byte would be copied once more before it is written on.
     */
    @Override
    public Http2FrameCodec build() {
        Http2FrameCodec codec = super.build();
        codec.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
        return codec;
    }

    @Override
    public boolean isServer() {
        return server;
    }
}
