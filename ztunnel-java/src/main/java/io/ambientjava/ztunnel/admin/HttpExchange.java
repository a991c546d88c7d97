package io.ambientjava.ztunnel.admin;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP request as the admin handlers see it: already decoded, no Netty types.
 *
 * @param method upper-case method name
 * @param path the decoded path without the query
 * @param query decoded query parameters in order; a parameter without value maps to an empty string
 * @param headers request headers, names lower-case
 */
public record HttpExchange(String method, String path, Map<String, List<String>> query, Map<String, String> headers) {

    public HttpExchange {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        query = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(query));
        headers = Map.copyOf(headers);
    }

    /** The first value of a query parameter. */
    public Optional<String> param(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    public Optional<String> header(String lowerCaseName) {
        return Optional.ofNullable(headers.get(lowerCaseName));
    }
}
