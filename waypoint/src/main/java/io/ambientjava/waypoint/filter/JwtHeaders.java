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
            Object value = verified.payload().get(claim.claim());
            if (value instanceof String || value instanceof Number || value instanceof Boolean) {
                headers.set(claim.header(), value.toString());
            }
        }
        return provider.payloadInMetadata()
                .<Map<String, Map<String, Object>>>map(
                        key -> Map.of(ListenerTranslator.JWT_AUTHN, Map.of(key, verified.payload())))
                .orElse(Map.of());
    }
}
