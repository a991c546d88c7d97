package io.ambientjava.hbone;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * Lets the streams of one HBONE connection share socket writes.
 *
 * <p>Every tunnel flushes what it wrote as soon as it has written it, and a stream's flush reaches the connection
 * at once unless the connection itself is being read. But a tunnel's bytes usually come from another channel: a
 * pod's TCP connection, or another HBONE connection at a waypoint. So with many busy streams each one cost a TLS
 * record and a {@code sendto} of its own. Placed under the HTTP/2 codec, this handler holds the flushes asked for
 * during one turn of the event loop and writes them once at its end (or when this connection's read completes), so
 * the frames of all streams that had something to send in that turn leave in one record and one system call. The
 * delay is the rest of the current event loop turn, not a timer.
 */
public final class WriteBatching {

    /** Name of the handler in an HBONE connection's pipeline. */
    public static final String HANDLER_NAME = "hbone-write-batching";

    private WriteBatching() {}

    /** Adds the batching handler at the current end of {@code pipeline}; call it just before adding the HTTP/2 codec. */
    public static void install(ChannelPipeline pipeline) {
        pipeline.addLast(
                HANDLER_NAME,
                new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
    }
}
