package io.ambientjava.hbone.tunnel;

import io.netty.channel.WriteBufferWaterMark;
import java.util.Objects;

/**
 * How much a tunnel may buffer before it stops reading. Reading from one side stops while the other side is
 * not writable, so a tunnel holds at most about the high water mark on each side plus one read.
 *
 * @param tcpWriteBuffer when the TCP side stops accepting stream data (and we stop reading the stream, which in
 *     turn withholds HTTP/2 window from the peer)
 * @param streamWriteBuffer when the stream side stops accepting TCP data (and we stop reading the TCP socket)
 */
public record TunnelSettings(WriteBufferWaterMark tcpWriteBuffer, WriteBufferWaterMark streamWriteBuffer) {

    public TunnelSettings {
        Objects.requireNonNull(tcpWriteBuffer, "tcpWriteBuffer");
        Objects.requireNonNull(streamWriteBuffer, "streamWriteBuffer");
    }

    public static TunnelSettings defaults() {
        return new TunnelSettings(
                new WriteBufferWaterMark(128 * 1024, 512 * 1024), new WriteBufferWaterMark(128 * 1024, 512 * 1024));
    }
}
