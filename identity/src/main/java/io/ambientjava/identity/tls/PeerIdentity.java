package io.ambientjava.identity.tls;

import io.ambientjava.identity.SpiffeId;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Reads the mesh identity of a TLS peer: the SPIFFE ID in the single URI SAN of the peer's leaf
 * certificate. Call it after the handshake succeeded (the chain has then already been verified against
 * the trust bundle by the {@link MeshTls} contexts).
 */
public final class PeerIdentity {

    private PeerIdentity() {}

    /** The SPIFFE ID of the peer of {@code session}. */
    public static SpiffeId of(SSLSession session) {
        Objects.requireNonNull(session, "session");
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            throw new PeerIdentityException("peer presented no verified certificate", e);
        }
        if (chain == null || chain.length == 0) {
            throw new PeerIdentityException("peer presented no certificate");
        }
        if (!(chain[0] instanceof X509Certificate leaf)) {
            throw new PeerIdentityException("peer certificate is a " + chain[0].getType() + " certificate, not X.509");
        }
        return of(leaf);
    }

    /** The SPIFFE ID in {@code certificate}'s only URI SAN. */
    public static SpiffeId of(X509Certificate certificate) {
        try {
            return SpiffeId.fromCertificate(certificate);
        } catch (IllegalArgumentException e) {
            throw new PeerIdentityException("invalid peer identity: " + e.getMessage(), e);
        }
    }

    /**
     * The peer's SPIFFE ID, provided it is one of {@code allowed}.
     *
     * @throws PeerIdentityException naming the expected identities and the one found
     */
    public static SpiffeId verify(SSLSession session, Set<SpiffeId> allowed) {
        Objects.requireNonNull(allowed, "allowed");
        SpiffeId actual = of(session);
        if (!allowed.contains(actual)) {
            throw new PeerIdentityException("peer identity " + actual + " is not the expected " + describe(allowed));
        }
        return actual;
    }

    private static String describe(Set<SpiffeId> allowed) {
        if (allowed.isEmpty()) {
            return "(no identity is allowed)";
        }
        return allowed.size() == 1 ? allowed.iterator().next().toString() : "one of " + allowed;
    }
}
