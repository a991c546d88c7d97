package io.ambientjava.hbone;

import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * The HTTP/2 settings both HBONE ends advertise. Defaults follow ztunnel: 4 MiB stream window, 1 MiB
 * frames, 100 concurrent streams per connection, 64 KiB of headers.
 *
 * <p>Netty sizes the connection window itself from the stream window (about twice it), so that one busy
 * stream cannot use up the whole connection.
 *
 * @param initialStreamWindow {@code SETTINGS_INITIAL_WINDOW_SIZE}, bytes a peer may send on one stream before
 *     we return window
 * @param maxFrameSize {@code SETTINGS_MAX_FRAME_SIZE}, the largest DATA frame we accept
 * @param maxConcurrentStreams {@code SETTINGS_MAX_CONCURRENT_STREAMS} a server advertises
 * @param maxHeaderListSize {@code SETTINGS_MAX_HEADER_LIST_SIZE}
 */
public record HboneSettings(
        int initialStreamWindow, int maxFrameSize, int maxConcurrentStreams, int maxHeaderListSize) {

    public static final int MIB = 1024 * 1024;

    static final int CONNECTION_WRITE_BUFFER_LOW = MIB / 2;
    static final int CONNECTION_WRITE_BUFFER_HIGH = 2 * MIB;

    public HboneSettings {
        if (initialStreamWindow < Http2CodecUtil.DEFAULT_WINDOW_SIZE) {
            throw new IllegalArgumentException("initialStreamWindow " + initialStreamWindow + " is below the HTTP/2 "
                    + "default of " + Http2CodecUtil.DEFAULT_WINDOW_SIZE);
        }
        if (maxFrameSize < Http2CodecUtil.MAX_FRAME_SIZE_LOWER_BOUND
                || maxFrameSize > Http2CodecUtil.MAX_FRAME_SIZE_UPPER_BOUND) {
            throw new IllegalArgumentException("maxFrameSize " + maxFrameSize + " is outside "
                    + Http2CodecUtil.MAX_FRAME_SIZE_LOWER_BOUND + "-" + Http2CodecUtil.MAX_FRAME_SIZE_UPPER_BOUND);
        }
        if (maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("maxConcurrentStreams must be at least 1, was " + maxConcurrentStreams);
        }
        if (maxHeaderListSize < 1024) {
            throw new IllegalArgumentException("maxHeaderListSize must be at least 1024, was " + maxHeaderListSize);
        }
    }

    public static HboneSettings defaults() {
        return new HboneSettings(4 * MIB, MIB, 100, 64 * 1024);
    }

    public HboneSettings withMaxConcurrentStreams(int streams) {
        return new HboneSettings(initialStreamWindow, maxFrameSize, streams, maxHeaderListSize);
    }

    public HboneSettings withInitialStreamWindow(int window) {
        return new HboneSettings(window, maxFrameSize, maxConcurrentStreams, maxHeaderListSize);
    }

    /**
     * Water marks of the connection's socket. Netty's HTTP/2 flow controller hands out only as many bytes per
     * flush as the socket accepts before turning unwritable, shared out among all streams with data; with the
     * socket default of 64 KiB, many busy streams each get a few KiB per round: tiny DATA frames and a lot of
     * work per byte. A larger buffer lets every stream send frames of a useful size.
     */
    public WriteBufferWaterMark connectionWriteBuffer() {
        return new WriteBufferWaterMark(CONNECTION_WRITE_BUFFER_LOW, CONNECTION_WRITE_BUFFER_HIGH);
    }

    /** The SETTINGS frame a server sends. */
    public Http2Settings serverSettings() {
        return new Http2Settings()
                .initialWindowSize(initialStreamWindow)
                .maxFrameSize(maxFrameSize)
                .maxConcurrentStreams(maxConcurrentStreams)
                .maxHeaderListSize(maxHeaderListSize);
    }

    /** The SETTINGS frame a client sends: no server push, same windows and frame size. */
    public Http2Settings clientSettings() {
        return new Http2Settings()
                .initialWindowSize(initialStreamWindow)
                .maxFrameSize(maxFrameSize)
                .maxHeaderListSize(maxHeaderListSize)
                .pushEnabled(false);
    }
}
