package io.ambientjava.waypoint.filter;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ambientjava.waypoint.config.JwtAuthnConfig;
import io.ambientjava.waypoint.config.JwtProviderConfig;
import java.security.Key;
import java.text.ParseException;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code jwt_authn} filter's decision for one request: no token (passes, as {@code allow_missing}), a token a
 * provider verified, or a token none verified (401).
 */
public final class JwtVerifier {

    /** Envoy's default allowance for clocks that disagree. */
    private static final long CLOCK_SKEW_SECONDS = 60;

    public sealed interface Outcome {}

    public record NoToken() implements Outcome {}

    /** @param location the header (lower-case) or {@code ?param} the token came from */
    public record Verified(
            JwtProviderConfig provider, Map<String, Object> payload, String encodedPayload, String location)
            implements Outcome {}

    /** @param reason Envoy's wording, the 401 body */
    public record Refused(String reason) implements Outcome {}

    private JwtVerifier() {}

    public static Outcome verify(JwtAuthnConfig config, RequestView request, Instant now) {
        Optional<Refused> firstRefusal = Optional.empty();
        for (JwtProviderConfig provider : config.providers()) {
            Optional<Token> token = find(provider, request);
            if (token.isEmpty()) {
                continue;
            }
            Outcome outcome = check(provider, token.get(), now);
            if (outcome instanceof Verified) {
                return outcome;
            }
            if (firstRefusal.isEmpty()) {
                firstRefusal = Optional.of((Refused) outcome);
            }
        }
        return firstRefusal.<Outcome>map(r -> r).orElse(new NoToken());
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

    private static Outcome check(JwtProviderConfig provider, Token token, Instant now) {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token.value());
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Refused("Jwt is not in the form of Header.Payload.Signature");
        }
        if (!provider.issuer().isEmpty() && !provider.issuer().equals(claims.getIssuer())) {
            return new Refused("Jwt issuer is not configured");
        }
        if (!signatureValid(provider, jwt)) {
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

    private static boolean signatureValid(JwtProviderConfig provider, SignedJWT jwt) {
        String kid = jwt.getHeader().getKeyID();
        for (JWK jwk : provider.keys().getKeys()) {
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
