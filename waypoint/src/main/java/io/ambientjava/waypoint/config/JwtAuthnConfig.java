package io.ambientjava.waypoint.config;

import java.util.List;

/**
 * The {@code envoy.filters.http.jwt_authn} filter in the one shape the waypoint implements: every request, any
 * one of the providers, or no token at all ({@code requires_any} of the providers and {@code allow_missing}). A
 * token that no provider verifies is refused.
 */
public record JwtAuthnConfig(List<JwtProviderConfig> providers, boolean bypassCorsPreflight) {

    public JwtAuthnConfig {
        providers = List.copyOf(providers);
    }
}
