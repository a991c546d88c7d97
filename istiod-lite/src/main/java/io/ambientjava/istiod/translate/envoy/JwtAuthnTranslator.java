package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.api.security.v1beta1.ClaimToHeader;
import io.fabric8.istio.api.api.security.v1beta1.JWTHeader;
import io.fabric8.istio.api.api.security.v1beta1.JWTRule;
import io.fabric8.istio.api.security.v1.RequestAuthentication;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The RequestAuthentications bound to one waypoint listener as one {@code envoy.filters.http.jwt_authn} filter. Every
 * {@code jwtRules} entry is a provider {@code origins-<i>} (policies oldest first, rules in order); one rule for
 * every path requires any of them or none ({@code allow_missing}): Istio's semantics, where a request without a
 * token passes unauthenticated (AuthorizationPolicy decides) and a request with a token that no provider accepts is
 * refused with 401. Each provider stores the verified payload in the dynamic metadata of the filter under
 * {@code payload}, where the RBAC filters match {@code request.auth.claims} and request principals.
 */
final class JwtAuthnTranslator {

    static final String PROVIDER_PREFIX = "origins-";
    private static final com.google.protobuf.Duration DEFAULT_JWKS_TIMEOUT =
            com.google.protobuf.Duration.newBuilder().setSeconds(5).build();
    private static final com.google.protobuf.Duration JWKS_CACHE =
            com.google.protobuf.Duration.newBuilder().setSeconds(300).build();

    private JwtAuthnTranslator() {}

    static Optional<HttpFilter> translate(
            List<RequestAuthentication> policies, Function<RequestAuthentication, Consumer<String>> warnTo) {
        JwtAuthentication.Builder config = JwtAuthentication.newBuilder().setBypassCorsPreflight(true);
        JwtRequirementOrList.Builder anyOf = JwtRequirementOrList.newBuilder();
        int index = 0;
        for (RequestAuthentication policy : policies) {
            var spec = policy.getSpec();
            List<JWTRule> rules = spec == null || spec.getJwtRules() == null ? List.of() : spec.getJwtRules();
            for (JWTRule rule : rules) {
                Optional<JwtProvider> provider = provider(rule, warnTo.apply(policy));
                if (provider.isEmpty()) {
                    continue;
                }
                String name = PROVIDER_PREFIX + index++;
                config.putProviders(name, provider.get());
                anyOf.addRequirements(JwtRequirement.newBuilder().setProviderName(name));
            }
        }
        if (index == 0) {
            return Optional.empty();
        }
        anyOf.addRequirements(JwtRequirement.newBuilder().setAllowMissing(Empty.getDefaultInstance()));
        config.addRules(RequirementRule.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRequires(JwtRequirement.newBuilder().setRequiresAny(anyOf)));
        return Optional.of(HttpFilter.newBuilder()
                .setName(EnvoyNames.JWT_AUTHN_FILTER)
                .setTypedConfig(Any.pack(config.build()))
                .build());
    }

    private static Optional<JwtProvider> provider(JWTRule rule, Consumer<String> warn) {
        if (rule == null || rule.getIssuer() == null || rule.getIssuer().isEmpty()) {
            warn.accept("a jwtRules entry without an issuer is skipped");
            return Optional.empty();
        }
        JwtProvider.Builder provider = JwtProvider.newBuilder()
                .setIssuer(rule.getIssuer())
                .addAllAudiences(listOf(rule.getAudiences()))
                .setPayloadInMetadata(EnvoyNames.JWT_PAYLOAD_METADATA_KEY)
                .setForward(Boolean.TRUE.equals(rule.getForwardOriginalToken()))
                .addAllFromParams(listOf(rule.getFromParams()))
                .addAllFromCookies(listOf(rule.getFromCookies()));
        for (JWTHeader header : listOf(rule.getFromHeaders())) {
            JwtHeader.Builder from = JwtHeader.newBuilder().setName(header.getName());
            if (header.getPrefix() != null) {
                from.setValuePrefix(header.getPrefix());
            }
            provider.addFromHeaders(from);
        }
        if (rule.getOutputPayloadToHeader() != null
                && !rule.getOutputPayloadToHeader().isEmpty()) {
            provider.setForwardPayloadHeader(rule.getOutputPayloadToHeader());
        }
        for (ClaimToHeader claim : listOf(rule.getOutputClaimToHeaders())) {
            provider.addClaimToHeaders(
                    JwtClaimToHeader.newBuilder().setClaimName(claim.getClaim()).setHeaderName(claim.getHeader()));
        }
        if (rule.getJwks() != null && !rule.getJwks().isEmpty()) {
            provider.setLocalJwks(DataSource.newBuilder().setInlineString(rule.getJwks()));
        } else if (rule.getJwksUri() != null && !rule.getJwksUri().isEmpty()) {
            provider.setRemoteJwks(RemoteJwks.newBuilder()
                    .setHttpUri(HttpUri.newBuilder()
                            .setUri(rule.getJwksUri())
                            .setCluster(jwksCluster(rule.getJwksUri()))
                            .setTimeout(timeout(rule.getTimeout())))
                    .setCacheDuration(JWKS_CACHE));
        } else {
            warn.accept("jwtRules for issuer " + rule.getIssuer() + " names no jwks or jwksUri; the issuer's OpenID"
                    + " discovery is not done by istiod-lite, so the rule is skipped");
            return Optional.empty();
        }
        provider.setNormalizePayloadInMetadata(
                JwtProvider.NormalizePayload.newBuilder().addAllSpaceDelimitedClaims(spaceDelimitedClaims(rule)));
        return Optional.of(provider.build());
    }

    /**
     * As Istio: {@code scope} and {@code permission} (OAuth's space-separated lists) always, then the rule's
     * {@code spaceDelimitedClaims}, so a policy on {@code request.auth.claims[scope]} matches one scope of several.
     */
    static List<String> spaceDelimitedClaims(JWTRule rule) {
        java.util.LinkedHashSet<String> claims = new java.util.LinkedHashSet<>(List.of("scope", "permission"));
        claims.addAll(listOf(rule.getSpaceDelimitedClaims()));
        return List.copyOf(claims);
    }

    /** Informational for our waypoint, which fetches the URI itself: {@code jwks|<host>|<port>}. */
    static String jwksCluster(String uri) {
        try {
            URI parsed = URI.create(uri);
            int port = parsed.getPort() > 0 ? parsed.getPort() : "http".equals(parsed.getScheme()) ? 80 : 443;
            return "jwks|" + parsed.getHost() + "|" + port;
        } catch (IllegalArgumentException e) {
            return "jwks|" + uri;
        }
    }

    private static com.google.protobuf.Duration timeout(String text) {
        if (text == null || text.isEmpty()) {
            return DEFAULT_JWKS_TIMEOUT;
        }
        try {
            return IstioDurations.parse(text).orElse(DEFAULT_JWKS_TIMEOUT);
        } catch (IllegalArgumentException e) {
            return DEFAULT_JWKS_TIMEOUT; // validation refuses it; not reached from a validated snapshot
        }
    }

    private static <T> List<T> listOf(List<T> list) {
        return list == null ? List.of() : new ArrayList<>(list);
    }
}
