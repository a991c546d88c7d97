package io.ambientjava.hbone.client;

import io.ambientjava.hbone.tunnel.Tunnel;
import io.ambientjava.hbone.tunnel.TunnelSettings;
import io.ambientjava.identity.SpiffeId;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2Frame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An HBONE stream the peer accepted (200), not yet carrying data: splice it to a TCP channel with
 * {@link #spliceTo}, read it with a pipeline of one's own after {@link #takeOver}, or {@link #reset} it. Until then
 * it does not read, so the peer is held by flow control.
 */
public final class HboneStream {

    private final Http2StreamChannel channel;
    private final Http2Headers responseHeaders;
    private final Optional<SpiffeId> peerIdentity;
    private final ConnectResponseHandler responseHandler;
    private final TunnelSettings tunnelSettings;
    private final AtomicBoolean spliced = new AtomicBoolean();

    HboneStream(
            Http2StreamChannel channel,
            Http2Headers responseHeaders,
            Optional<SpiffeId> peerIdentity,
            ConnectResponseHandler responseHandler,
            TunnelSettings tunnelSettings) {
        this.channel = channel;
        this.responseHeaders = responseHeaders;
        this.peerIdentity = peerIdentity;
        this.responseHandler = responseHandler;
        this.tunnelSettings = tunnelSettings;
    }

    /** The HTTP/2 stream channel (auto-read off, HTTP/2 window returned by whoever reads it). */
    public Http2StreamChannel channel() {
        return channel;
    }

    public Http2Headers responseHeaders() {
        return responseHeaders;
    }

    /** The verified SPIFFE ID of the peer (empty in plaintext mode). */
    public Optional<SpiffeId> peerIdentity() {
        return peerIdentity;
    }

    /**
     * Pipes this stream and {@code tcp} both ways until both end (see {@link Tunnel}). {@code tcp} should have
     * auto-read off and half-closure allowed from the moment it was accepted, so nothing is read before this.
     *
     * @throws IllegalStateException if this stream was spliced already
     */
    public Tunnel spliceTo(Channel tcp) {
        if (!spliced.compareAndSet(false, true)) {
            throw new IllegalStateException("stream " + channel + " is already spliced");
        }
        return Tunnel.splice(channel, tcp, tunnelSettings, () -> {
            List<Http2Frame> frames = responseHandler.takeEarlyFrames();
            if (channel.pipeline().context(responseHandler) != null) {
                channel.pipeline().remove(responseHandler);
            }
            return frames;
        });
    }

    /**
     * Hands the stream to a caller that reads it itself instead of splicing it (an HTTP codec over the tunnel):
     * the CONNECT response handler leaves the pipeline and the frames the peer sent right after its 200 are
     * returned, for the caller to pass on before anything else it reads (a server speaks first in HTTP/2 and in
     * protocols like SMTP). The stream still does not read until the caller turns auto-read on. Call on the
     * stream's event loop.
     *
     * @throws IllegalStateException if this stream was spliced or taken over already
     */
    public List<Http2Frame> takeOver() {
        if (!spliced.compareAndSet(false, true)) {
            throw new IllegalStateException("stream " + channel + " is already spliced or taken over");
        }
        List<Http2Frame> frames = responseHandler.takeEarlyFrames();
        if (channel.pipeline().context(responseHandler) != null) {
            channel.pipeline().remove(responseHandler);
        }
        return frames;
    }

    /** Resets the stream (RST_STREAM CANCEL) without using it. */
    public void reset() {
        channel.close();
    }

    @Override
    public String toString() {
        return "HboneStream[" + channel + "]";
    }
}
