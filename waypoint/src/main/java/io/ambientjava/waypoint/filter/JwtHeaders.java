package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.ListenerTranslator;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Map;

/** What a verified token does to the request: payload and claim headers, the token removed, dynamic metadata. */
public final class JwtHeaders {

    private JwtHeaders() {}

    /** @return the request's dynamic metadata: the payload under the provider's key, when it names one */
    public static Map<String, Map<String, Object>> apply(JwtVerifier.Verified verified, HttpHeaders headers) {
        var provider = verified.provider();
        if (!provider.forward()
                && !verified.location().startsWith("?")
                && !verified.location().startsWith("cookie:")) {
            headers.remove(verified.location());
        }
        provider.forwardPayloadHeader().ifPresent(h -> headers.set(h, verified.encodedPayload()));
        for (var claim : provider.claimToHeaders()) {
            Object value = claim(verified.payload(), claim.claim());
            if (value instanceof String || value instanceof Number || value instanceof Boolean) {
                headers.set(claim.header(), value.toString());
            }
        }
        return provider.payloadInMetadata()
                .<Map<String, Map<String, Object>>>map(key -> Map.of(
                        ListenerTranslator.JWT_AUTHN,
                        Map.of(key, normalized(verified.payload(), provider.spaceDelimitedClaims()))))
                .orElse(Map.of());
    }

    /**
     * The payload with each named top-level string claim as the list of its space-separated words ({@code "read
     * write"} becomes {@code [read, write]}), as Envoy's {@code normalize_payload_in_metadata} writes it.
     */
    static Map<String, Object> normalized(Map<String, Object> payload, java.util.List<String> spaceDelimited) {
        if (spaceDelimited.stream().noneMatch(c -> payload.get(c) instanceof String)) {
            return payload;
        }
        Map<String, Object> copy = new java.util.LinkedHashMap<>(payload);
        for (String claim : spaceDelimited) {
            if (copy.get(claim) instanceof String text) {
                copy.put(
                        claim,
                        java.util.Arrays.stream(text.split(" "))
                                .filter(word -> !word.isEmpty())
                                .toList());
            }
        }
        return copy;
    }

    /** A claim by name, or a nested one by its dotted path ({@code realm.role}), as Envoy's claim_to_headers reads it. */
    static Object claim(Map<String, Object> payload, String name) {
        if (payload.containsKey(name)) {
            return payload.get(name);
        }
        Object current = payload;
        for (String key : name.split("\\.", -1)) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(key);
        }
        return current;
    }
}
