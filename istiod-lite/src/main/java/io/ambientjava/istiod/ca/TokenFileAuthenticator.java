package io.ambientjava.istiod.ca;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.identity.SpiffeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer tokens of the local mesh, from a YAML file that maps each token to its caller:
 *
 * <pre>
 * tokens:
 * - token: "a long random string"
 *   namespace: istio-system
 *   serviceAccount: ztunnel
 *   node: node-a                    # for node agents: the node they serve
 *   expires: "2030-01-01T00:00:00Z" # optional
 * </pre>
 *
 * The file is read again when it changes; a file that does not read cleanly leaves the previous tokens in force.
 * Tokens are looked up by their SHA-256, so the comparison time says nothing about how close a guess was.
 */
public final class TokenFileAuthenticator implements CallerAuthenticator {

    private static final Logger log = LoggerFactory.getLogger(TokenFileAuthenticator.class);
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    record TokenFile(@JsonProperty("tokens") List<Entry> tokens) {}

    record Entry(
            @JsonProperty("token") String token,
            @JsonProperty("namespace") String namespace,
            @JsonProperty("serviceAccount") String serviceAccount,
            @JsonProperty("node") String node,
            @JsonProperty("expires") String expires) {}

    private record Grant(Caller caller, Optional<Instant> expires) {}

    private final Path file;
    private final String trustDomain;
    private final Clock clock;
    private volatile Map<String, Grant> grants;
    private volatile FileTime loadedModified;

    private TokenFileAuthenticator(Path file, String trustDomain, Clock clock) {
        this.file = file;
        this.trustDomain = trustDomain;
        this.clock = clock;
    }

    /**
     * Reads {@code file} now.
     *
     * @throws IllegalArgumentException when it cannot be read or an entry is invalid; the message names the entry
     *     and field
     */
    public static TokenFileAuthenticator load(Path file, String trustDomain, Clock clock) {
        Objects.requireNonNull(file, "file");
        TokenFileAuthenticator authenticator = new TokenFileAuthenticator(file, trustDomain, clock);
        authenticator.grants = authenticator.read();
        return authenticator;
    }

    @Override
    public Caller authenticate(String bearerToken) throws CallerAuthenticationException {
        if (bearerToken == null || bearerToken.isEmpty()) {
            throw new CallerAuthenticationException("no bearer token");
        }
        reloadIfChanged();
        Grant grant = grants.get(sha256(bearerToken));
        if (grant == null) {
            throw new CallerAuthenticationException("unknown token");
        }
        if (grant.expires().isPresent()
                && !clock.instant().isBefore(grant.expires().get())) {
            throw new CallerAuthenticationException("token of " + grant.caller().account() + " expired at "
                    + grant.expires().get());
        }
        return grant.caller();
    }

    private void reloadIfChanged() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            if (modified.equals(loadedModified)) {
                return;
            }
            grants = read();
            log.info("reloaded {} ({} tokens)", file, grants.size());
        } catch (IOException | IllegalArgumentException e) {
            log.warn("token file {} not reloaded, keeping the previous tokens: {}", file, e.getMessage());
        }
    }

    private Map<String, Grant> read() {
        TokenFile parsed;
        try {
            loadedModified = Files.getLastModifiedTime(file);
            parsed = YAML.readValue(Files.readString(file), TokenFile.class);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(
                    "token file " + file + ": " + e.getOriginalMessage() + " at " + e.getPathReference());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read token file " + file + ": " + e.getMessage(), e);
        }
        List<Entry> entries = parsed == null || parsed.tokens() == null ? List.of() : parsed.tokens();
        Map<String, Grant> result = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            String where = "token file " + file + ": tokens[" + i + "]";
            if (entry.token() == null || entry.token().length() < 16) {
                throw new IllegalArgumentException(where + ".token: required, at least 16 characters");
            }
            if (entry.namespace() == null || entry.serviceAccount() == null) {
                throw new IllegalArgumentException(where + ": namespace and serviceAccount are required");
            }
            SpiffeId identity;
            try {
                identity = new SpiffeId(trustDomain, entry.namespace(), entry.serviceAccount());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        where + ": " + e.getMessage() + " (namespace and serviceAccount are required)");
            }
            Optional<Instant> expires;
            try {
                expires = entry.expires() == null ? Optional.empty() : Optional.of(Instant.parse(entry.expires()));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(where + ".expires: not an RFC 3339 time: '" + entry.expires() + "'");
            }
            Optional<String> node = Optional.ofNullable(entry.node()).filter(n -> !n.isEmpty());
            if (result.put(sha256(entry.token()), new Grant(new Caller(identity, node), expires)) != null) {
                throw new IllegalArgumentException(where + ".token: the same token appears twice");
            }
        }
        return Map.copyOf(result);
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
