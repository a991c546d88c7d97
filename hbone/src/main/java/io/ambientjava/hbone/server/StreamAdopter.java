package io.ambientjava.hbone.server;

import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.util.List;

/**
 * Serves an accepted CONNECT stream in-process instead of piping it to a socket (a waypoint reading HTTP out of
 * the tunnel). Called on the stream's event loop right after the 200 is written, with the stream's pipeline
 * empty, auto-read off and {@link io.netty.handler.codec.http2.Http2StreamChannelOption#AUTO_STREAM_FLOW_CONTROL}
 * off: the adopter returns the peer's window itself for the bytes it consumed, owns {@code earlyFrames} (frames
 * the client sent before the 200, in order) and turns auto-read on when it is ready.
 */
@FunctionalInterface
public interface StreamAdopter {

    void adopt(Http2StreamChannel stream, List<Http2Frame> earlyFrames);
}
