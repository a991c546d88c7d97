package io.ambientjava.identity.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;

/**
 * Whether a private key belongs to a certificate: a signature made with the key verifies with the certificate's
 * public key. Run when a key and certificate are loaded, so a mismatched pair fails there, with the files or
 * fields named, rather than at every TLS handshake.
 */
public final class KeyPairCheck {

    private static final byte[] PROBE = "ambient-java key pair check".getBytes(StandardCharsets.US_ASCII);

    private KeyPairCheck() {}

    /**
     * @throws IllegalArgumentException for a key type other than EC, RSA or Ed25519
     */
    public static boolean belongsTo(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
        };
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(PROBE);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // e.g. an EC key against an RSA certificate
        }
    }
}
