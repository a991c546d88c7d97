package io.ambientjava.waypoint.telemetry;

import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A finished request as telemetry expressions, access log formats and metric overrides read it: the record, the
 * headers of the request and of the response, and the trace it belonged to.
 *
 * @param upstreamServiceMillis from the first upstream request to the upstream response head (-1: none)
 */
public record RequestAttributes(
        RequestRecord record,
        HttpHeaders requestHeaders,
        HttpHeaders responseHeaders,
        Optional<String> traceId,
        Optional<String> spanId,
        long upstreamServiceMillis) {

    public RequestAttributes {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(requestHeaders, "requestHeaders");
        Objects.requireNonNull(responseHeaders, "responseHeaders");
        Objects.requireNonNull(traceId, "traceId");
        Objects.requireNonNull(spanId, "spanId");
    }

    /** Only the record known (no headers, no trace). */
    public static RequestAttributes of(RequestRecord record) {
        return new RequestAttributes(
                record, EmptyHttpHeaders.INSTANCE, EmptyHttpHeaders.INSTANCE, Optional.empty(), Optional.empty(), -1);
    }

    /** A request header (several values joined with ","), {@code :authority}/{@code :method}/{@code :path} too. */
    public Optional<String> requestHeader(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return switch (lower) {
            case ":authority", "host" -> Optional.of(record.authority());
            case ":method" -> Optional.of(record.method());
            case ":path" -> Optional.of(record.path());
            default -> joined(requestHeaders.getAll(lower));
        };
    }

    public Optional<String> responseHeader(String name) {
        return joined(responseHeaders.getAll(name.toLowerCase(java.util.Locale.ROOT)));
    }

    private static Optional<String> joined(List<String> values) {
        return values.isEmpty() ? Optional.empty() : Optional.of(String.join(",", values));
    }

    /** The path without its query. */
    public String urlPath() {
        int q = record.path().indexOf('?');
        return q < 0 ? record.path() : record.path().substring(0, q);
    }
}
