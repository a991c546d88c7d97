package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.CorsPolicy;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * Envoy's {@code envoy.filters.http.cors} for one request, under its route's policy: a preflight from an allowed
 * origin is answered here; any other request from an allowed origin goes on, and its response is told which origin
 * may read it.
 */
public final class CorsFilter {

    /** What the filter does with a request. */
    public sealed interface Decision {}

    /** Nothing: no {@code Origin}, no policy, the policy is off for this request, or the origin is not allowed. */
    public record Pass() implements Decision {}

    /** Answer the preflight 200 with no body and these headers (none when the origin is refused). */
    public record AnswerPreflight(Map<String, String> headers) implements Decision {}

    /** Forward the request; the response gets these headers, set over any the upstream sent. */
    public record AddToResponse(Map<String, String> headers) implements Decision {}

    private static final Pass PASS = new Pass();

    private CorsFilter() {}

    /**
     * @param random draws in [0, 1) against the policy's {@code filter_enabled} fraction
     */
    public static Decision decide(Optional<CorsPolicy> route, RequestView request, DoubleSupplier random) {
        Optional<String> origin = request.header("origin").filter(o -> !o.isEmpty());
        if (route.isEmpty() || origin.isEmpty()) {
            return PASS;
        }
        CorsPolicy policy = route.get();
        if (random.getAsDouble() >= policy.enabledFraction()) {
            return PASS;
        }
        boolean allowed = policy.allowsOrigin(origin.get());
        if (isPreflight(request)) {
            if (allowed) {
                return new AnswerPreflight(preflightHeaders(policy, origin.get()));
            }
            return policy.forwardNotMatchingPreflights() ? PASS : new AnswerPreflight(Map.of());
        }
        return allowed ? new AddToResponse(simpleHeaders(policy, origin.get())) : PASS;
    }

    private static boolean isPreflight(RequestView request) {
        return request.method().equals("OPTIONS")
                && request.header("access-control-request-method")
                        .filter(m -> !m.isEmpty())
                        .isPresent();
    }

    private static Map<String, String> preflightHeaders(CorsPolicy policy, String origin) {
        Map<String, String> headers = originHeaders(policy, origin);
        putIfNotEmpty(headers, "access-control-allow-methods", policy.allowMethods());
        putIfNotEmpty(headers, "access-control-allow-headers", policy.allowHeaders());
        putIfNotEmpty(headers, "access-control-max-age", policy.maxAge());
        return Collections.unmodifiableMap(headers);
    }

    private static Map<String, String> simpleHeaders(CorsPolicy policy, String origin) {
        Map<String, String> headers = originHeaders(policy, origin);
        putIfNotEmpty(headers, "access-control-expose-headers", policy.exposeHeaders());
        return Collections.unmodifiableMap(headers);
    }

    private static Map<String, String> originHeaders(CorsPolicy policy, String origin) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("access-control-allow-origin", origin);
        if (policy.allowCredentials()) {
            headers.put("access-control-allow-credentials", "true");
        }
        return headers;
    }

    private static void putIfNotEmpty(Map<String, String> headers, String name, String value) {
        if (!value.isEmpty()) {
            headers.put(name, value);
        }
    }
}
