package io.ambientjava.waypoint.config;

import com.nimbusds.jose.jwk.JWKSet;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/** Where a {@code jwt_authn} provider's keys come from: inline in the config, or fetched from a URI. */
public sealed interface JwksSource {

    /** {@code local_jwks.inline_string}. */
    record Inline(JWKSet keys) implements JwksSource {
        public Inline {
            Objects.requireNonNull(keys, "keys");
        }
    }

    /**
     * {@code remote_jwks}: the waypoint fetches {@code uri} itself (the {@code http_uri.cluster} istiod-lite names
     * is informational only).
     *
     * @param timeout bounds one fetch, and how long a request waits for the first key set
     * @param cacheDuration how long a fetched key set is used before it is refreshed
     */
    record Remote(URI uri, Duration timeout, Duration cacheDuration) implements JwksSource {
        public Remote {
            Objects.requireNonNull(uri, "uri");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("remote_jwks timeout must be positive, was " + timeout);
            }
            if (cacheDuration.isNegative() || cacheDuration.isZero()) {
                throw new IllegalArgumentException("remote_jwks cache_duration must be positive, was " + cacheDuration);
            }
        }
    }
}
