package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;

/**
 * One action of Envoy's {@code config.route.v3.RateLimit}: it turns the request into one descriptor entry (key and
 * value), or into nothing, in which case the whole descriptor of that {@code RateLimit} is not produced.
 */
public sealed interface RateLimitAction {

    /** {@code request_headers}: the header's value under {@code descriptorKey}; absent → no descriptor, or skipped. */
    record RequestHeaders(String headerName, String descriptorKey, boolean skipIfAbsent) implements RateLimitAction {
        public RequestHeaders {
            Objects.requireNonNull(headerName, "headerName");
            Objects.requireNonNull(descriptorKey, "descriptorKey");
        }
    }

    /** {@code generic_key}: always the entry ({@code descriptorKey}, default {@code generic_key}, value). */
    record GenericKey(String descriptorKey, String descriptorValue) implements RateLimitAction {
        public GenericKey {
            Objects.requireNonNull(descriptorKey, "descriptorKey");
            Objects.requireNonNull(descriptorValue, "descriptorValue");
        }
    }

    /**
     * {@code header_value_match}: the entry ({@code descriptorKey}, default {@code header_match}, value) when all
     * {@code headers} match (or, with {@code expectMatch} false, when they do not).
     */
    record HeaderValueMatch(
            String descriptorKey, String descriptorValue, boolean expectMatch, List<HeaderMatch> headers)
            implements RateLimitAction {
        public HeaderValueMatch {
            Objects.requireNonNull(descriptorKey, "descriptorKey");
            Objects.requireNonNull(descriptorValue, "descriptorValue");
            headers = List.copyOf(headers);
        }
    }

    /** {@code remote_address}: the entry ({@code remote_address}, the client's IP). */
    record RemoteAddress() implements RateLimitAction {}
}
