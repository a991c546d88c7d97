package io.ambientjava.waypoint.filter;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A request as the matchers see it: pseudo-headers ({@code :method}, {@code :path}, {@code :authority},
 * {@code :scheme}) and regular headers, lower-case names.
 */
public record RequestView(String method, String pathAndQuery, String authority, String scheme, HttpHeaders headers) {

    /** The path without query string. */
    public String path() {
        int q = pathAndQuery.indexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    }

    public Optional<String> queryParameter(String name) {
        Map<String, List<String>> params = new QueryStringDecoder(pathAndQuery).parameters();
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    /** A header or pseudo-header; several values of one header are joined with ",", as Envoy does. */
    public Optional<String> header(String name) {
        return switch (name) {
            case ":method" -> Optional.of(method);
            case ":path" -> Optional.of(pathAndQuery);
            case ":authority", "host" -> Optional.of(authority);
            case ":scheme" -> Optional.of(scheme);
            default -> {
                List<String> values = headers.getAll(name);
                yield values.isEmpty() ? Optional.empty() : Optional.of(String.join(",", values));
            }
        };
    }
}
