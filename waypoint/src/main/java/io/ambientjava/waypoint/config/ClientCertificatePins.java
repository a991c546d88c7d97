package io.ambientjava.waypoint.config;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * {@code validation_context.verify_certificate_hash} and {@code verify_certificate_spki}: a client certificate is
 * accepted only when the SHA-256 of its DER, or of its public key (SubjectPublicKeyInfo), is listed; with both lists
 * either may match (Envoy's rule). An Istio gateway server's {@code tls.verifyCertificateHash} and
 * {@code verifyCertificateSpki} arrive as these.
 *
 * @param hashes lower-case hex SHA-256 digests of certificates
 * @param spkis SHA-256 digests of public keys, as bytes
 */
record ClientCertificatePins(List<String> hashes, List<byte[]> spkis) {

    static final ClientCertificatePins NONE = new ClientCertificatePins(List.of(), List.of());

    ClientCertificatePins {
        hashes = List.copyOf(hashes);
        spkis = List.copyOf(spkis);
    }

    boolean isEmpty() {
        return hashes.isEmpty() && spkis.isEmpty();
    }

    /** Hex with or without colons (Envoy takes both), and base64 SPKI digests; each must be 32 bytes. */
    static ClientCertificatePins translate(List<String> hashes, List<String> spkis, String path) {
        List<String> hex = new ArrayList<>();
        for (int i = 0; i < hashes.size(); i++) {
            String value = hashes.get(i).replace(":", "").toLowerCase(Locale.ROOT);
            if (!value.matches("[0-9a-f]{64}")) {
                throw FieldGuard.invalid(
                        path + ".verify_certificate_hash[" + i + "]",
                        "not a hex SHA-256 digest (64 hex digits, colons allowed): '" + hashes.get(i) + "'");
            }
            hex.add(value);
        }
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < spkis.size(); i++) {
            byte[] digest;
            try {
                digest = Base64.getDecoder().decode(spkis.get(i));
            } catch (IllegalArgumentException e) {
                digest = new byte[0];
            }
            if (digest.length != 32) {
                throw FieldGuard.invalid(
                        path + ".verify_certificate_spki[" + i + "]",
                        "not a base64 SHA-256 digest of 32 bytes: '" + spkis.get(i) + "'");
            }
            keys.add(digest);
        }
        return new ClientCertificatePins(hex, keys);
    }

    /** Throws unless the certificate's or its key's digest is listed (nothing listed: anything passes). */
    void check(X509Certificate leaf) throws CertificateException {
        if (isEmpty()) {
            return;
        }
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new CertificateException(e);
        }
        String certificate;
        try {
            certificate = HexFormat.of().formatHex(sha256.digest(leaf.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new CertificateException("cannot encode the client certificate", e);
        }
        if (hashes.contains(certificate)) {
            return;
        }
        byte[] key = sha256.digest(leaf.getPublicKey().getEncoded());
        for (byte[] pinned : spkis) {
            if (MessageDigest.isEqual(pinned, key)) {
                return;
            }
        }
        throw new CertificateException(
                "client certificate (SHA-256 " + certificate + ") is not one of the pinned ones");
    }
}
