package io.ambientjava.hbone.server;

import io.ambientjava.hbone.HboneHeaders;
import io.ambientjava.hbone.authority.HboneAuthority;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.Objects;
import java.util.Optional;

/**
 * A CONNECT the server accepted as well-formed, for a {@link HboneConnector} to decide on.
 *
 * @param connection the HBONE connection it came on (peer identity and addresses)
 * @param authority where the client wants to go
 * @param headers the request headers as received (read-only by contract)
 * @param eventLoop the stream's event loop: connecting the upstream on it avoids cross-thread hand-offs
 */
public record InboundConnect(
        InboundConnection connection, HboneAuthority authority, Http2Headers headers, EventLoop eventLoop) {

    public InboundConnect {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(authority, "authority");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(eventLoop, "eventLoop");
    }

    public Optional<String> header(CharSequence name) {
        CharSequence value = headers.get(name);
        return value == null ? Optional.empty() : Optional.of(value.toString());
    }

    /** The {@code forwarded} header, e.g. {@code for="198.18.0.5:43210"}: the original client. */
    public Optional<String> forwarded() {
        return header(HboneHeaders.FORWARDED);
    }

    public Optional<String> baggage() {
        return header(HboneHeaders.BAGGAGE);
    }

    public Optional<String> traceparent() {
        return header(HboneHeaders.TRACEPARENT);
    }
}
