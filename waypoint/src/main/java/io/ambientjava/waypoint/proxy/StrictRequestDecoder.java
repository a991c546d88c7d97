package io.ambientjava.waypoint.proxy;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * The HTTP/1.1 request decoder, refusing a request that carries both {@code Content-Length} and
 * {@code Transfer-Encoding} (RFC 9112 allows dropping Content-Length instead; a proxy that does so can be
 * smuggled past by a backend that picks the other one). Netty then marks the request failed and it is answered
 * 400.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {

    StrictRequestDecoder(ProxyLimits limits) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLineBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024));
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw new IllegalArgumentException("both Content-Length and Transfer-Encoding are present");
    }
}
