package io.ambientjava.waypoint.testsupport;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.time.Instant;
import java.util.Date;

/** A token issuer for tests and the {@code jwt_authn} config istiod-lite would send for it. */
public final class Jwt {

    public static final String ISSUER = "https://issuer.example";

    private final ECKey key;
    private final String kid;

    public Jwt() {
        this("k1");
    }

    /** An issuer whose one key is named {@code kid}, as after a key rotation. */
    public Jwt(String kid) {
        this.kid = kid;
        try {
            key = new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public String jwks() {
        return new JWKSet(key.toPublicJWK()).toString();
    }

    public String token(String issuer, String subject, String audience, Instant expires) {
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid).build(),
                    new JWTClaimsSet.Builder()
                            .issuer(issuer)
                            .subject(subject)
                            .audience(audience)
                            .claim("group", "admins")
                            .expirationTime(Date.from(expires))
                            .build());
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public String token(String subject) {
        return token(ISSUER, subject, "shop", Instant.now().plusSeconds(600));
    }

    public JwtProvider.Builder provider() {
        return JwtProvider.newBuilder()
                .setIssuer(ISSUER)
                .addAudiences("shop")
                .setLocalJwks(DataSource.newBuilder().setInlineString(jwks()))
                .setPayloadInMetadata("payload");
    }

    /** A provider whose keys the waypoint fetches from {@code uri}, as istiod-lite writes a jwksUri. */
    public static JwtProvider.Builder remoteProvider(String uri, java.time.Duration timeout, java.time.Duration cache) {
        return JwtProvider.newBuilder()
                .setIssuer(ISSUER)
                .addAudiences("shop")
                .setRemoteJwks(RemoteJwks.newBuilder()
                        .setHttpUri(HttpUri.newBuilder()
                                .setUri(uri)
                                .setCluster("jwks|127.0.0.1|0")
                                .setTimeout(protoDuration(timeout)))
                        .setCacheDuration(protoDuration(cache)))
                .setPayloadInMetadata("payload");
    }

    private static com.google.protobuf.Duration protoDuration(java.time.Duration d) {
        return com.google.protobuf.Duration.newBuilder()
                .setSeconds(d.getSeconds())
                .setNanos(d.getNano())
                .build();
    }

    public static HttpFilter filter(JwtProvider provider) {
        JwtAuthentication config = JwtAuthentication.newBuilder()
                .putProviders("origins-0", provider)
                .addRules(RequirementRule.newBuilder()
                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                        .setRequires(JwtRequirement.newBuilder()
                                .setRequiresAny(JwtRequirementOrList.newBuilder()
                                        .addRequirements(
                                                JwtRequirement.newBuilder().setProviderName("origins-0"))
                                        .addRequirements(JwtRequirement.newBuilder()
                                                .setAllowMissing(Empty.getDefaultInstance())))))
                .setBypassCorsPreflight(true)
                .build();
        return HttpFilter.newBuilder()
                .setName("envoy.filters.http.jwt_authn")
                .setTypedConfig(Any.pack(config))
                .build();
    }

    /** A principal on a payload claim, as istiod-lite writes requestPrincipals. */
    public static Principal claim(String claim, String exact) {
        return Principal.newBuilder()
                .setMetadata(MetadataMatcher.newBuilder()
                        .setFilter("envoy.filters.http.jwt_authn")
                        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey("payload"))
                        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(claim))
                        .setValue(ValueMatcher.newBuilder()
                                .setStringMatch(StringMatcher.newBuilder().setExact(exact))))
                .build();
    }
}
