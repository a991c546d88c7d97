package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code jwt_authn} provider: who issues the tokens, their keys, where the token is found and what is done
 * with it once verified.
 *
 * @param issuer empty: any issuer
 * @param audiences empty: any audience
 * @param fromHeaders empty together with {@code fromParams} and {@code fromCookies}: Envoy's default,
 *     {@code Authorization: Bearer} and the {@code access_token} parameter
 * @param forward whether the token stays on the request sent upstream
 * @param payloadInMetadata the key of the verified payload in the request's dynamic metadata
 * @param spaceDelimitedClaims top-level claims whose string value goes into that metadata as the list of its
 *     space-separated words ({@code normalize_payload_in_metadata}), so a policy can match one OAuth scope
 */
public record JwtProviderConfig(
        String name,
        String issuer,
        List<String> audiences,
        JwksSource keys,
        List<TokenHeader> fromHeaders,
        List<String> fromParams,
        List<String> fromCookies,
        boolean forward,
        Optional<String> forwardPayloadHeader,
        List<ClaimToHeader> claimToHeaders,
        Optional<String> payloadInMetadata,
        List<String> spaceDelimitedClaims) {

    public record TokenHeader(String name, String valuePrefix) {}

    public record ClaimToHeader(String claim, String header) {}

    public JwtProviderConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(keys, "keys");
        audiences = List.copyOf(audiences);
        fromHeaders = List.copyOf(fromHeaders);
        fromParams = List.copyOf(fromParams);
        fromCookies = List.copyOf(fromCookies);
        claimToHeaders = List.copyOf(claimToHeaders);
        spaceDelimitedClaims = List.copyOf(spaceDelimitedClaims);
    }

    /** Where this provider looks for its token, with Envoy's default when none is configured. */
    public List<TokenHeader> headersToSearch() {
        if (fromHeaders.isEmpty() && fromParams.isEmpty() && fromCookies.isEmpty()) {
            return List.of(new TokenHeader("authorization", "Bearer "));
        }
        return fromHeaders;
    }

    public List<String> paramsToSearch() {
        if (fromHeaders.isEmpty() && fromParams.isEmpty() && fromCookies.isEmpty()) {
            return List.of("access_token");
        }
        return fromParams;
    }
}
