package io.ambientjava.waypoint.filter;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ambientjava.waypoint.config.JwksSource;
import io.ambientjava.waypoint.config.JwtAuthnConfig;
import io.ambientjava.waypoint.config.JwtProviderConfig;
import java.security.Key;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code jwt_authn} filter's decision for one request: no token (passes, as {@code allow_missing}), a token a
 * provider verified, or a token none verified (401).
 */
public final class JwtVerifier {

    /** Envoy's default allowance for clocks that disagree. */
    private static final long CLOCK_SKEW_SECONDS = 60;

    /** Envoy's wording when a remote key set could not be had in time. */
    public static final String REMOTE_FETCH_FAILED = "Jwks remote fetch is failed";

    public sealed interface Outcome {}

    public record NoToken() implements Outcome {}

    /** @param location the header (lower-case) or {@code ?param} the token came from */
    public record Verified(
            JwtProviderConfig provider, Map<String, Object> payload, String encodedPayload, String location)
            implements Outcome {}

    /** @param reason Envoy's wording, the 401 body */
    public record Refused(String reason) implements Outcome {}

    private JwtVerifier() {}

    /**
     * The decision, at once when every key needed is at hand (inline, or a cached remote set), else when the
     * remote key sets arrive. Never completes exceptionally. Callbacks run on whichever thread completes a fetch.
     */
    public static CompletableFuture<Outcome> verify(JwtAuthnConfig config, RequestView request, Instant now) {
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
        for (JwtProviderConfig provider : config.providers()) {
            Optional<Token> token = find(provider, request);
            if (token.isPresent()) {
                outcomes.add(check(provider, token.get(), now));
            }
        }
        if (outcomes.stream().allMatch(CompletableFuture::isDone)) {
            return CompletableFuture.completedFuture(decide(outcomes));
        }
        return CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new))
                .thenApply(done -> decide(outcomes));
    }

    /** The first provider that verified its token; else the first refusal; else no token at all. */
    private static Outcome decide(List<CompletableFuture<Outcome>> outcomes) {
        Optional<Outcome> firstRefusal = Optional.empty();
        for (CompletableFuture<Outcome> future : outcomes) {
            Outcome outcome = future.join();
            if (outcome instanceof Verified) {
                return outcome;
            }
            if (firstRefusal.isEmpty()) {
                firstRefusal = Optional.of(outcome);
            }
        }
        return firstRefusal.orElse(new NoToken());
    }

    private record Token(String value, String location) {}

    private static Optional<Token> find(JwtProviderConfig provider, RequestView request) {
        for (JwtProviderConfig.TokenHeader header : provider.headersToSearch()) {
            Optional<String> value = request.header(header.name());
            if (value.isPresent() && value.get().startsWith(header.valuePrefix())) {
                String token =
                        value.get().substring(header.valuePrefix().length()).trim();
                if (!token.isEmpty()) {
                    return Optional.of(new Token(token, header.name()));
                }
            }
        }
        for (String param : provider.paramsToSearch()) {
            Optional<String> value = request.queryParameter(param);
            if (value.isPresent() && !value.get().isEmpty()) {
                return Optional.of(new Token(value.get(), "?" + param));
            }
        }
        for (String cookie : provider.fromCookies()) {
            Optional<String> value = cookie(request, cookie);
            if (value.isPresent()) {
                return Optional.of(new Token(value.get(), "cookie:" + cookie));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> cookie(RequestView request, String name) {
        return request.header("cookie").flatMap(all -> {
            for (String part : all.split("[;,]")) {
                String[] kv = part.trim().split("=", 2);
                if (kv.length == 2 && kv[0].equals(name)) {
                    return Optional.of(kv[1]);
                }
            }
            return Optional.empty();
        });
    }

    private static CompletableFuture<Outcome> check(JwtProviderConfig provider, Token token, Instant now) {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token.value());
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return refused("Jwt is not in the form of Header.Payload.Signature");
        }
        if (!provider.issuer().isEmpty() && !provider.issuer().equals(claims.getIssuer())) {
            return refused("Jwt issuer is not configured");
        }
        return switch (provider.keys()) {
            case JwksSource.Inline inline ->
                CompletableFuture.completedFuture(checkSigned(provider, token, jwt, claims, inline.keys(), now));
            case JwksSource.Remote remote ->
                RemoteJwksCache.of(remote)
                        .keysFor(jwt.getHeader().getKeyID())
                        .thenApply(keys -> keys == null
                                ? new Refused(REMOTE_FETCH_FAILED)
                                : checkSigned(provider, token, jwt, claims, keys, now));
        };
    }

    private static CompletableFuture<Outcome> refused(String reason) {
        return CompletableFuture.completedFuture(new Refused(reason));
    }

    private static Outcome checkSigned(
            JwtProviderConfig provider, Token token, SignedJWT jwt, JWTClaimsSet claims, JWKSet keys, Instant now) {
        if (!signatureValid(keys, jwt)) {
            return new Refused("Jwt verification fails");
        }
        Date exp = claims.getExpirationTime();
        if (exp != null && now.getEpochSecond() > exp.toInstant().getEpochSecond() + CLOCK_SKEW_SECONDS) {
            return new Refused("Jwt is expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null
                && now.getEpochSecond() + CLOCK_SKEW_SECONDS < nbf.toInstant().getEpochSecond()) {
            return new Refused("Jwt not yet valid");
        }
        if (!provider.audiences().isEmpty()) {
            List<String> audiences = claims.getAudience();
            if (audiences.stream().noneMatch(provider.audiences()::contains)) {
                return new Refused("Audiences in Jwt are not allowed");
            }
        }
        return new Verified(
                provider, jwt.getPayload().toJSONObject(), jwt.getParsedParts()[1].toString(), token.location());
    }

    private static boolean signatureValid(JWKSet keys, SignedJWT jwt) {
        String kid = jwt.getHeader().getKeyID();
        for (JWK jwk : keys.getKeys()) {
            if (kid != null && jwk.getKeyID() != null && !kid.equals(jwk.getKeyID())) {
                continue;
            }
            try {
                Key key = switch (jwk) {
                    case RSAKey rsa -> rsa.toPublicKey();
                    case ECKey ec -> ec.toPublicKey();
                    case OctetSequenceKey oct -> oct.toSecretKey();
                    default -> null;
                };
                if (key == null) {
                    continue;
                }
                JWSVerifier verifier = new DefaultJWSVerifierFactory().createJWSVerifier(jwt.getHeader(), key);
                if (jwt.verify(verifier)) {
                    return true;
                }
            } catch (JOSEException | IllegalStateException wrongKind) {
                // a key of another type or algorithm: try the next
            }
        }
        return false;
    }
}
