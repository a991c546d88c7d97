package io.ambientjava.waypoint.config;

import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A peer's certificates checked as Envoy's {@code validation_context} does: first the chain against
 * {@code trusted_ca} (the JDK's PKIX), then the leaf's names against {@code match_typed_subject_alt_names}, then its
 * digest against {@code verify_certificate_hash} / {@code verify_certificate_spki}. A failure fails the TLS
 * handshake: a listener reads no request of that client, an upstream connection sends nothing to that server. Each
 * instance checks one side only, clients (a listener's) or servers (a cluster's).
 */
final class PeerCertificateTrustManager extends X509ExtendedTrustManager {

    /** Whose certificates this trust manager checks. */
    enum Peer {
        CLIENTS,
        SERVERS
    }

    private final Peer peer;
    private final X509TrustManager chain;
    private final PeerNameCheck names;
    private final ClientCertificatePins pins;

    /**
     * @param crls with any, every certificate of the peer's chain below the trust anchor must be covered by one of
     *     them and not revoked, as Envoy's {@code validation_context.crl}: a chain a CRL does not cover fails
     */
    PeerCertificateTrustManager(
            Peer peer,
            List<X509Certificate> trustedCas,
            List<java.security.cert.X509CRL> crls,
            PeerNameCheck names,
            ClientCertificatePins pins)
            throws Exception {
        this.peer = peer;
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < trustedCas.size(); i++) {
            store.setCertificateEntry("ca-" + i, trustedCas.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        if (crls.isEmpty()) {
            factory.init(store);
        } else {
            var parameters =
                    new java.security.cert.PKIXBuilderParameters(store, new java.security.cert.X509CertSelector());
            parameters.setRevocationEnabled(true);
            parameters.addCertStore(java.security.cert.CertStore.getInstance(
                    "Collection", new java.security.cert.CollectionCertStoreParameters(crls)));
            factory.init(new javax.net.ssl.CertPathTrustManagerParameters(parameters));
        }
        this.chain = (X509TrustManager) factory.getTrustManagers()[0];
        this.names = names;
        this.pins = pins;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType) throws CertificateException {
        if (peer != Peer.CLIENTS) {
            throw new CertificateException("a cluster's trust manager checks servers only");
        }
        chain.checkClientTrusted(certificates, authType);
        checkLeaf(certificates[0]);
    }

    private void checkLeaf(X509Certificate leaf) throws CertificateException {
        if (!names.entries().isEmpty()) {
            names.check(leaf);
        }
        pins.check(leaf);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType, Socket socket)
            throws CertificateException {
        checkClientTrusted(certificates, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType, SSLEngine engine)
            throws CertificateException {
        checkClientTrusted(certificates, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType) throws CertificateException {
        if (peer != Peer.SERVERS) {
            throw new CertificateException("a listener's trust manager checks clients only");
        }
        chain.checkServerTrusted(certificates, authType);
        checkLeaf(certificates[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType, Socket socket)
            throws CertificateException {
        checkServerTrusted(certificates, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType, SSLEngine engine)
            throws CertificateException {
        checkServerTrusted(certificates, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return chain.getAcceptedIssuers();
    }
}
