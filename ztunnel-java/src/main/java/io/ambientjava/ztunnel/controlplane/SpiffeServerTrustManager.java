package io.ambientjava.ztunnel.controlplane;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts a server whose chain validates to the configured roots (PKIX, no revocation) and whose leaf names the
 * expected SPIFFE ID. It is an {@link X509ExtendedTrustManager} on purpose: the JDK then leaves identity checks to
 * it instead of matching the host name, which istiod's SPIFFE-only certificate would fail.
 */
final class SpiffeServerTrustManager extends X509ExtendedTrustManager {

    /** The anchors of one trust bundle, kept while the roots do not change. */
    private record Anchors(TrustBundle bundle, Set<TrustAnchor> anchors) {}

    private final ControlPlaneTls tls;
    private volatile Anchors current;

    SpiffeServerTrustManager(ControlPlaneTls tls) {
        this.tls = tls;
    }

    private Set<TrustAnchor> anchors() {
        TrustBundle bundle = tls.roots().get();
        Anchors known = current;
        if (known == null || known.bundle() != bundle) {
            known = new Anchors(
                    bundle,
                    bundle.roots().stream()
                            .map(root -> new TrustAnchor(root, null))
                            .collect(Collectors.toUnmodifiableSet()));
            current = known;
        }
        return known.anchors();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the control plane presented no certificate");
        }
        Set<TrustAnchor> anchors = anchors();
        try {
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            // Validate the chain without the root itself if the server sent it.
            X509Certificate[] path = Arrays.stream(chain)
                    .filter(c ->
                            anchors.stream().noneMatch(a -> a.getTrustedCert().equals(c)))
                    .toArray(X509Certificate[]::new);
            CertPathValidator.getInstance("PKIX")
                    .validate(
                            CertificateFactory.getInstance("X.509").generateCertPath(Arrays.asList(path)), parameters);
        } catch (GeneralSecurityException e) {
            // No cause attached: callers report the innermost message, which should be this one.
            throw new CertificateException(
                    "the control plane's certificate does not chain to the configured roots: " + e.getMessage());
        }
        SpiffeId presented;
        try {
            presented = SpiffeId.fromCertificate(chain[0]);
        } catch (IllegalArgumentException e) {
            throw new CertificateException("the control plane's certificate has no SPIFFE ID: " + e.getMessage());
        }
        if (!presented.equals(tls.serverIdentity())) {
            throw new CertificateException(
                    "the control plane presented " + presented + ", expected " + tls.serverIdentity());
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager only verifies servers");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return tls.roots().get().roots().toArray(X509Certificate[]::new);
    }
}
