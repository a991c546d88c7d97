package io.ambientjava.waypoint.config;

import com.nimbusds.jose.jwk.JWKSet;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import java.net.URI;
import java.net.URISyntaxException;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Envoy's {@code JwtAuthentication} to a {@link JwtAuthnConfig}: the shape istiod-lite sends, with keys inline
 * ({@code local_jwks}) or fetched ({@code remote_jwks}). Any other requirement shape is refused by name.
 */
final class JwtAuthnTranslator {

    private JwtAuthnTranslator() {}

    static JwtAuthnConfig translate(JwtAuthentication config, String path) {
        FieldGuard.onlyFields(config, path, Set.of("providers", "rules", "bypass_cors_preflight"));
        List<JwtProviderConfig> providers = new ArrayList<>();
        for (Map.Entry<String, JwtProvider> e : config.getProvidersMap().entrySet()) {
            providers.add(provider(e.getKey(), e.getValue(), path + ".providers[" + e.getKey() + "]"));
        }
        if (config.getRulesCount() != 1) {
            throw FieldGuard.invalid(path + ".rules", "exactly one rule (prefix /) is supported");
        }
        RequirementRule rule = config.getRules(0);
        String rpath = path + ".rules[0]";
        FieldGuard.onlyFields(rule, rpath, Set.of("match", "requires"));
        FieldGuard.onlyFields(rule.getMatch(), rpath + ".match", Set.of("prefix"));
        if (!rule.getMatch().getPrefix().equals("/")) {
            throw FieldGuard.invalid(rpath + ".match", "only prefix / is supported");
        }
        JwtRequirement requires = rule.getRequires();
        FieldGuard.onlyFields(requires, rpath + ".requires", Set.of("requires_any"));
        var any = requires.getRequiresAny();
        FieldGuard.onlyFields(any, rpath + ".requires.requires_any", Set.of("requirements"));
        boolean allowMissing = false;
        for (int i = 0; i < any.getRequirementsCount(); i++) {
            JwtRequirement r = any.getRequirements(i);
            String qpath = rpath + ".requires.requires_any.requirements[" + i + "]";
            FieldGuard.onlyFields(r, qpath, Set.of("provider_name", "allow_missing"));
            switch (r.getRequiresTypeCase()) {
                case PROVIDER_NAME -> {
                    if (!config.getProvidersMap().containsKey(r.getProviderName())) {
                        throw FieldGuard.invalid(qpath + ".provider_name", "no provider '" + r.getProviderName() + "'");
                    }
                }
                case ALLOW_MISSING -> allowMissing = true;
                default -> throw FieldGuard.invalid(qpath, "needs provider_name or allow_missing");
            }
        }
        if (!allowMissing) {
            throw FieldGuard.invalid(
                    rpath + ".requires.requires_any", "only requirements ending in allow_missing are supported");
        }
        return new JwtAuthnConfig(providers, config.getBypassCorsPreflight());
    }

    private static JwtProviderConfig provider(String name, JwtProvider p, String path) {
        FieldGuard.onlyFields(
                p,
                path,
                Set.of(
                        "issuer",
                        "audiences",
                        "local_jwks",
                        "remote_jwks",
                        "from_headers",
                        "from_params",
                        "from_cookies",
                        "forward",
                        "forward_payload_header",
                        "claim_to_headers",
                        "payload_in_metadata",
                        "normalize_payload_in_metadata"));
        JwksSource keys = switch (p.getJwksSourceSpecifierCase()) {
            case LOCAL_JWKS -> inline(p, path);
            case REMOTE_JWKS -> remote(p.getRemoteJwks(), path + ".remote_jwks");
            default -> throw FieldGuard.invalid(path, "needs local_jwks or remote_jwks");
        };
        List<JwtProviderConfig.TokenHeader> headers = new ArrayList<>();
        for (int i = 0; i < p.getFromHeadersCount(); i++) {
            var h = p.getFromHeaders(i);
            FieldGuard.onlyFields(h, path + ".from_headers[" + i + "]", Set.of("name", "value_prefix"));
            headers.add(new JwtProviderConfig.TokenHeader(h.getName().toLowerCase(Locale.ROOT), h.getValuePrefix()));
        }
        List<JwtProviderConfig.ClaimToHeader> claims = new ArrayList<>();
        for (int i = 0; i < p.getClaimToHeadersCount(); i++) {
            var c = p.getClaimToHeaders(i);
            FieldGuard.onlyFields(c, path + ".claim_to_headers[" + i + "]", Set.of("claim_name", "header_name"));
            claims.add(new JwtProviderConfig.ClaimToHeader(c.getClaimName(), c.getHeaderName()));
        }
        return new JwtProviderConfig(
                name,
                p.getIssuer(),
                p.getAudiencesList(),
                keys,
                headers,
                p.getFromParamsList(),
                p.getFromCookiesList(),
                p.getForward(),
                p.getForwardPayloadHeader().isEmpty() ? Optional.empty() : Optional.of(p.getForwardPayloadHeader()),
                claims,
                p.getPayloadInMetadata().isEmpty() ? Optional.empty() : Optional.of(p.getPayloadInMetadata()),
                spaceDelimitedClaims(p, path));
    }

    private static List<String> spaceDelimitedClaims(JwtProvider p, String path) {
        if (!p.hasNormalizePayloadInMetadata()) {
            return List.of();
        }
        String npath = path + ".normalize_payload_in_metadata";
        FieldGuard.onlyFields(p.getNormalizePayloadInMetadata(), npath, Set.of("space_delimited_claims"));
        List<String> claims = p.getNormalizePayloadInMetadata().getSpaceDelimitedClaimsList();
        for (int i = 0; i < claims.size(); i++) {
            if (claims.get(i).isBlank()) {
                throw FieldGuard.invalid(npath + ".space_delimited_claims[" + i + "]", "empty claim name");
            }
        }
        return claims;
    }

    private static JwksSource inline(JwtProvider p, String path) {
        FieldGuard.onlyFields(p.getLocalJwks(), path + ".local_jwks", Set.of("inline_string"));
        try {
            return new JwksSource.Inline(JWKSet.parse(p.getLocalJwks().getInlineString()));
        } catch (ParseException e) {
            throw FieldGuard.invalid(path + ".local_jwks.inline_string", "not a JWKS: " + e.getMessage());
        }
    }

    private static JwksSource remote(RemoteJwks remote, String path) {
        FieldGuard.onlyFields(remote, path, Set.of("http_uri", "cache_duration"));
        HttpUri http = remote.getHttpUri();
        FieldGuard.onlyFields(http, path + ".http_uri", Set.of("uri", "cluster", "timeout"));
        URI uri;
        try {
            uri = new URI(http.getUri());
        } catch (URISyntaxException e) {
            throw FieldGuard.invalid(path + ".http_uri.uri", "not a URI: " + e.getMessage());
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw FieldGuard.invalid(
                    path + ".http_uri.uri", "'" + http.getUri() + "' is not an http(s) URL with a host");
        }
        Duration timeout = http.hasTimeout() ? duration(http.getTimeout()) : Duration.ZERO;
        if (timeout.isNegative() || timeout.isZero()) {
            throw FieldGuard.invalid(path + ".http_uri.timeout", "must be positive");
        }
        // Envoy's default when the field is absent: five minutes
        Duration cache = remote.hasCacheDuration() ? duration(remote.getCacheDuration()) : Duration.ofMinutes(5);
        if (cache.isNegative() || cache.isZero()) {
            throw FieldGuard.invalid(path + ".cache_duration", "must be positive");
        }
        return new JwksSource.Remote(uri, timeout, cache);
    }

    private static Duration duration(com.google.protobuf.Duration d) {
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }
}
