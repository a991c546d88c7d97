package io.ambientjava.hbone.tunnel;

import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelOption;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pipes bytes both ways between a TCP channel and an HTTP/2 stream: the HBONE tunnel.
 *
 * <ul>
 *   <li>TCP data becomes DATA frames that wrap the read buffers (no copy); DATA frame payloads are written to
 *       TCP as they are.
 *   <li>FIN from TCP becomes END_STREAM; END_STREAM becomes {@code shutdownOutput()} on TCP once everything
 *       before it is written. The other direction keeps flowing; the tunnel completes when both ended.
 *   <li>A TCP reset or error resets the stream (RST_STREAM CANCEL); a stream reset, or its connection going
 *       away, resets the TCP connection (SO_LINGER 0).
 *   <li>Backpressure: each side stops reading while the other is not writable. HTTP/2 window is returned
 *       only for bytes the TCP side has actually written, so a slow TCP reader throttles the remote sender.
 * </ul>
 *
 * <p>The stream must have {@link Http2StreamChannelOption#AUTO_STREAM_FLOW_CONTROL} off and both channels
 * should have auto-read off until spliced, so that no bytes are read with nobody to take them.
 */
public final class Tunnel {

    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);
    static final String HANDLER_NAME = "hbone-tunnel";

    private record Abort(TunnelEnd end, String detail) {}

    private final Http2StreamChannel stream;
    private final Channel tcp;
    private final CompletableFuture<TunnelResult> completion = new CompletableFuture<>();
    private final AtomicReference<Abort> abort = new AtomicReference<>();
    private final AtomicInteger openChannels = new AtomicInteger(2);
    private final AtomicInteger windowToReturn = new AtomicInteger();
    private final Runnable returnWindowTask = this::returnWindow;

    // Each counter and flag is written by one event loop only (named in the comment) and read anywhere.
    private volatile long bytesFromTcp; // TCP loop
    private volatile long bytesToTcp; // stream loop
    private volatile boolean endStreamSent; // TCP loop, before END_STREAM is written
    private volatile boolean endStreamReceived; // stream loop
    private boolean tcpOutputShut; // TCP loop
    private volatile boolean tcpFinished; // TCP loop

    private Tunnel(Http2StreamChannel stream, Channel tcp) {
        this.stream = stream;
        this.tcp = tcp;
    }

    /**
     * Frames a stream received after the CONNECT exchange but before the splice. Taken on the stream's event
     * loop, once; the tunnel then owns them and handles them before anything else.
     */
    @FunctionalInterface
    public interface EarlyFrames {
        List<Http2Frame> take();

        static EarlyFrames none() {
            return List::of;
        }

        static EarlyFrames of(List<Http2Frame> frames) {
            List<Http2Frame> copy = List.copyOf(frames);
            return () -> copy;
        }
    }

    /**
     * Starts holding what {@code tcp} receives until a tunnel takes it over: call it as soon as the channel exists
     * (at accept, or right after connecting), so that data and a FIN sent before the tunnel is ready are kept.
     * {@link io.ambientjava.hbone.client.HboneClient#tunnel} and the default connector do this themselves.
     */
    public static void holdInput(Channel tcp) {
        if (tcp.eventLoop().inEventLoop()) {
            TcpInputHold.install(tcp);
        } else {
            tcp.eventLoop().execute(() -> TcpInputHold.install(tcp));
        }
    }

    /** Starts piping between {@code stream} and {@code tcp}. */
    public static Tunnel splice(Http2StreamChannel stream, Channel tcp, TunnelSettings settings, EarlyFrames early) {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(tcp, "tcp");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(early, "early");
        if (Boolean.TRUE.equals(stream.config().getOption(Http2StreamChannelOption.AUTO_STREAM_FLOW_CONTROL))) {
            throw new IllegalArgumentException(
                    "stream " + stream + " returns HTTP/2 window on read; open it with AUTO_STREAM_FLOW_CONTROL=false");
        }
        Tunnel tunnel = new Tunnel(stream, tcp);
        tunnel.start(settings, early);
        return tunnel;
    }

    private void start(TunnelSettings settings, EarlyFrames early) {
        tcp.closeFuture().addListener(f -> onTcpClosed());
        stream.closeFuture().addListener(f -> onStreamClosed());

        tcp.config().setAutoRead(false);
        tcp.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        tcp.config().setWriteBufferWaterMark(settings.tcpWriteBuffer());
        tcp.config().setRecvByteBufAllocator(readSizes());
        if (tcp.config() instanceof SocketChannelConfig socketConfig) {
            socketConfig.setTcpNoDelay(true);
        }
        stream.config().setWriteBufferWaterMark(settings.streamWriteBuffer());

        // Handlers are added on their own event loops so that "still open?" and "add" cannot race with a close.
        stream.eventLoop().execute(() -> {
            List<Http2Frame> earlyFrames = early.take();
            if (!stream.isActive()) {
                earlyFrames.forEach(ReferenceCountUtil::release);
                abort(TunnelEnd.STREAM_ABORTED, "stream closed before the tunnel started");
                return;
            }
            stream.pipeline().addLast(HANDLER_NAME, new StreamSideHandler(this, earlyFrames));
        });
        tcp.eventLoop().execute(() -> {
            if (!tcp.isActive()) {
                abort(TunnelEnd.TCP_ABORTED, "tcp connection closed before the tunnel started");
                return;
            }
            tcp.pipeline().addLast(HANDLER_NAME, new TcpSideHandler(this));
        });
    }

    /**
     * Like ztunnel's copy buffers: small reads for chatty connections, growing to 256 KiB for bulk ones, so bulk
     * data travels in few, large DATA frames. (A channel keeps the sizing it had at its first read.)
     */
    static AdaptiveRecvByteBufAllocator readSizes() {
        return new AdaptiveRecvByteBufAllocator(1024, 16 * 1024, 256 * 1024);
    }

    public Http2StreamChannel stream() {
        return stream;
    }

    public Channel tcp() {
        return tcp;
    }

    /** Completes once both the stream and the TCP connection are closed. Never completes exceptionally. */
    public CompletableFuture<TunnelResult> completion() {
        return completion;
    }

    public long bytesFromTcp() {
        return bytesFromTcp;
    }

    public long bytesToTcp() {
        return bytesToTcp;
    }

    /** Resets both sides now. */
    public void abort() {
        abort(TunnelEnd.ABORTED_LOCALLY, "aborted locally");
    }

    boolean isAborted() {
        return abort.get() != null;
    }

    void addBytesFromTcp(int bytes) {
        bytesFromTcp += bytes; // only the TCP loop writes
    }

    void addBytesToTcp(int bytes) {
        bytesToTcp += bytes; // only the stream loop writes
    }

    /** TCP loop: the TCP peer sent FIN. */
    void tcpInputEnded() {
        if (isAborted() || endStreamSent) {
            return;
        }
        endStreamSent = true;
        stream.writeAndFlush(new DefaultHttp2DataFrame(true)).addListener(f -> {
            if (!f.isSuccess()) {
                abort(TunnelEnd.STREAM_ABORTED, "could not send END_STREAM: " + f.cause());
            }
        });
        finishTcpIfDone();
    }

    /** Stream loop: END_STREAM arrived; shut down TCP output after everything already queued is written. */
    void streamInputEnded() {
        if (isAborted() || endStreamReceived) {
            return;
        }
        endStreamReceived = true;
        tcp.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> {
            if (!written.isSuccess()) {
                abort(TunnelEnd.TCP_ABORTED, "write to tcp failed: " + written.cause());
            } else if (tcp instanceof DuplexChannel duplex) {
                duplex.shutdownOutput().addListener(shut -> {
                    if (shut.isSuccess()) {
                        tcpOutputShut = true;
                        finishTcpIfDone();
                    } else {
                        abort(TunnelEnd.TCP_ABORTED, "tcp shutdownOutput failed: " + shut.cause());
                    }
                });
            } else {
                tcpOutputShut = true;
                endStreamSent = true; // a channel without half-close can only end as a whole
                finishTcpIfDone();
            }
        });
    }

    /** TCP loop. */
    private void finishTcpIfDone() {
        if (endStreamSent && tcpOutputShut && !isAborted()) {
            tcpFinished = true;
            tcp.close();
        }
    }

    /** Any thread: {@code bytes} of stream data reached the TCP socket; give the peer that much window back. */
    void windowReturned(int bytes) {
        if (windowToReturn.getAndAdd(bytes) == 0) {
            stream.eventLoop().execute(returnWindowTask);
        }
    }

    /** Stream loop; one WINDOW_UPDATE write for everything returned since the last run. */
    private void returnWindow() {
        int bytes = windowToReturn.getAndSet(0);
        if (bytes > 0 && stream.isActive()) {
            stream.writeAndFlush(new DefaultHttp2WindowUpdateFrame(bytes)).addListener(f -> {
                if (!f.isSuccess() && stream.isActive()) {
                    log.warn("{}: returning {} bytes of window failed", this, bytes, f.cause());
                }
            });
        }
    }

    /** Called on the TCP loop when the TCP side's writability changed: resume reading the stream. */
    void tcpBecameWritable() {
        if (tcp.isWritable()) {
            stream.config().setAutoRead(true);
        }
    }

    /** Called on the stream loop when the stream's writability changed: resume reading TCP. */
    void streamBecameWritable() {
        if (stream.isWritable()) {
            tcp.config().setAutoRead(true);
        }
    }

    private void onTcpClosed() {
        if (!tcpFinished) {
            abort(TunnelEnd.TCP_ABORTED, "tcp connection closed before the tunnel finished");
        }
        channelClosed();
    }

    private void onStreamClosed() {
        if (!(endStreamReceived && endStreamSent)) {
            abort(TunnelEnd.STREAM_ABORTED, "stream closed before both directions finished");
        }
        channelClosed();
    }

    private void channelClosed() {
        if (openChannels.decrementAndGet() == 0) {
            Abort a = abort.get();
            completion.complete(
                    a == null
                            ? new TunnelResult(bytesFromTcp, bytesToTcp, TunnelEnd.COMPLETED, Optional.empty())
                            : new TunnelResult(bytesFromTcp, bytesToTcp, a.end(), Optional.of(a.detail())));
        }
    }

    /** Any thread: resets both sides once. */
    void abort(TunnelEnd end, String detail) {
        if (!abort.compareAndSet(null, new Abort(end, detail))) {
            return;
        }
        log.debug("tunnel {} <-> {} aborted ({}): {}", stream, tcp, end, detail);
        // Closing a stream that has not seen END_STREAM both ways sends RST_STREAM(CANCEL).
        stream.close();
        if (tcp.isOpen()) {
            try {
                tcp.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException alreadyClosed) {
                // the socket went away between the check and the option; close() below is all that is left
            }
            tcp.close();
        }
    }

    /** The tunnel's state for debugging and admin dumps: byte counts, ends seen, who is reading and writable. */
    @Override
    public String toString() {
        return "Tunnel[" + stream + " <-> " + tcp
                + ", fromTcp=" + bytesFromTcp + ", toTcp=" + bytesToTcp
                + ", endSent=" + endStreamSent + ", endReceived=" + endStreamReceived
                + ", stream(writable=" + stream.isWritable() + ", autoRead="
                + stream.config().isAutoRead() + ")"
                + ", tcp(writable=" + tcp.isWritable() + ", autoRead="
                + tcp.config().isAutoRead() + ")"
                + ", windowToReturn=" + windowToReturn.get()
                + (abort.get() != null ? ", aborted=" + abort.get() : "") + "]";
    }
}
