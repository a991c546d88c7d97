package io.ambientjava.perf.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Hand-encoded HTTP/2 frames (RFC 9113 section 4.1), for feeding a peer without an encoder in the loop. */
final class Http2Frames {

    static final int HEADER_LENGTH = 9;
    private static final byte TYPE_DATA = 0x0;
    private static final byte TYPE_WINDOW_UPDATE = 0x8;

    private Http2Frames() {}

    /** A DATA frame without flags or padding. */
    static ByteBuf data(int streamId, ByteBuf payload) {
        ByteBuf frame = Unpooled.directBuffer(HEADER_LENGTH + payload.readableBytes());
        header(frame, payload.readableBytes(), TYPE_DATA, streamId);
        return frame.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
    }

    /** A WINDOW_UPDATE frame; stream 0 is the connection. */
    static ByteBuf windowUpdate(int streamId, int increment) {
        if (increment <= 0) {
            throw new IllegalArgumentException("window increment must be positive, got " + increment);
        }
        ByteBuf frame = Unpooled.directBuffer(HEADER_LENGTH + 4);
        header(frame, 4, TYPE_WINDOW_UPDATE, streamId);
        return frame.writeInt(increment);
    }

    private static void header(ByteBuf frame, int length, byte type, int streamId) {
        if (length > 0xFFFFFF) {
            throw new IllegalArgumentException("frame payload of " + length + " bytes does not fit 24 bits");
        }
        frame.writeMedium(length);
        frame.writeByte(type);
        frame.writeByte(0); // flags
        frame.writeInt(streamId & 0x7FFFFFFF);
    }
}
