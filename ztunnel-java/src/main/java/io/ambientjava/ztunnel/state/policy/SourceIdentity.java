package io.ambientjava.ztunnel.state.policy;

import java.util.Objects;

/**
 * The verified SPIFFE identity of a connection's peer ({@code spiffe://<trust domain>/ns/<ns>/sa/<sa>}), as
 * presented in its mTLS certificate. Plaintext connections have none.
 */
public record SourceIdentity(String trustDomain, String namespace, String serviceAccount) {

    private static final String SCHEME = "spiffe://";

    public SourceIdentity {
        requirePart(trustDomain, "trust domain");
        requirePart(namespace, "namespace");
        requirePart(serviceAccount, "service account");
    }

    private static void requirePart(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty() || value.indexOf('/') >= 0) {
            throw new IllegalArgumentException("invalid " + what + " '" + value + "'");
        }
    }

    /**
     * Parses {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}.
     *
     * @throws IllegalArgumentException for any other form
     */
    public static SourceIdentity parse(String uri) {
        if (!uri.startsWith(SCHEME)) {
            throw new IllegalArgumentException("'" + uri + "' is not a spiffe:// identity");
        }
        String[] parts = uri.substring(SCHEME.length()).split("/", -1);
        if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")) {
            throw new IllegalArgumentException("'" + uri + "' is not spiffe://<trust domain>/ns/<ns>/sa/<sa>");
        }
        return new SourceIdentity(parts[0], parts[2], parts[4]);
    }

    /** The principal policies match against: the SPIFFE ID without {@code spiffe://}. */
    public String principal() {
        return trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }

    @Override
    public String toString() {
        return SCHEME + principal();
    }
}
