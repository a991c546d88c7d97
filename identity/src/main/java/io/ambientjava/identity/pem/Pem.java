package io.ambientjava.identity.pem;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Reads and writes the PEM files the mesh exchanges: certificates (one or a chain), private keys and
 * certificate signing requests. Keys are written as PKCS#8 ({@code PRIVATE KEY}); on reading, the
 * traditional {@code EC PRIVATE KEY} and {@code RSA PRIVATE KEY} forms are accepted as well, since
 * that is what {@code openssl} and Istio's sample {@code cacerts} produce.
 */
public final class Pem {

    public static final String CERTIFICATE = "CERTIFICATE";
    public static final String CERTIFICATE_REQUEST = "CERTIFICATE REQUEST";
    public static final String PRIVATE_KEY = "PRIVATE KEY";
    private static final String EC_PRIVATE_KEY = "EC PRIVATE KEY";
    private static final String RSA_PRIVATE_KEY = "RSA PRIVATE KEY";
    private static final String LEGACY_CERTIFICATE_REQUEST = "NEW CERTIFICATE REQUEST";
    /** What {@code openssl ecparam -genkey} writes before the key unless told {@code -noout}; the key repeats it. */
    private static final String EC_PARAMETERS = "EC PARAMETERS";

    private Pem() {}

    /** All certificates in {@code pem}, in file order; at least one is required. */
    public static List<X509Certificate> readCertificates(String pem) {
        List<PemObject> blocks = blocks(pem, "certificate");
        List<X509Certificate> certificates = new ArrayList<>();
        for (PemObject block : blocks) {
            if (!block.getType().equals(CERTIFICATE)) {
                throw new PemException("expected only " + CERTIFICATE + " blocks but found " + block.getType());
            }
            certificates.add(parseCertificate(block.getContent(), certificates.size()));
        }
        return List.copyOf(certificates);
    }

    /** The single certificate in {@code pem}; more than one is an error. */
    public static X509Certificate readCertificate(String pem) {
        List<X509Certificate> certificates = readCertificates(pem);
        if (certificates.size() != 1) {
            throw new PemException("expected exactly one certificate but found " + certificates.size());
        }
        return certificates.getFirst();
    }

    public static List<X509Certificate> readCertificates(Path file) {
        return inFile(file, () -> readCertificates(readString(file)));
    }

    /** A private key in PKCS#8, SEC1 ({@code EC PRIVATE KEY}) or PKCS#1 ({@code RSA PRIVATE KEY}) form. */
    public static PrivateKey readPrivateKey(String pem) {
        PemObject block = single(pem, "private key", EC_PARAMETERS);
        try {
            return switch (block.getType()) {
                case PRIVATE_KEY -> toPrivateKey(PrivateKeyInfo.getInstance(block.getContent()));
                case EC_PRIVATE_KEY -> {
                    ECPrivateKey ec = ECPrivateKey.getInstance(block.getContent());
                    var algorithm =
                            new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, ec.getParametersObject());
                    yield toPrivateKey(new PrivateKeyInfo(algorithm, ec));
                }
                case RSA_PRIVATE_KEY -> {
                    RSAPrivateKey rsa = RSAPrivateKey.getInstance(ASN1Sequence.getInstance(block.getContent()));
                    var algorithm = new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption);
                    yield toPrivateKey(new PrivateKeyInfo(algorithm, rsa));
                }
                case "ENCRYPTED PRIVATE KEY" ->
                    throw new PemException("encrypted private keys are not supported; decrypt it first");
                default -> throw new PemException("expected a private key but found " + block.getType());
            };
        } catch (PemException e) {
            throw e;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new PemException("malformed " + block.getType() + ": " + e.getMessage(), e);
        }
    }

    public static PrivateKey readPrivateKey(Path file) {
        return inFile(file, () -> readPrivateKey(readString(file)));
    }

    /** The single PKCS#10 certificate signing request in {@code pem}; its signature is not checked here. */
    public static PKCS10CertificationRequest readCsr(String pem) {
        PemObject block = single(pem, "certificate signing request");
        if (!block.getType().equals(CERTIFICATE_REQUEST) && !block.getType().equals(LEGACY_CERTIFICATE_REQUEST)) {
            throw new PemException("expected a " + CERTIFICATE_REQUEST + " but found " + block.getType());
        }
        try {
            return new PKCS10CertificationRequest(block.getContent());
        } catch (IOException | RuntimeException e) {
            throw new PemException("malformed " + CERTIFICATE_REQUEST + ": " + e.getMessage(), e);
        }
    }

    public static String writeCertificate(X509Certificate certificate) {
        return writeCertificates(List.of(certificate));
    }

    public static String writeCertificates(List<X509Certificate> certificates) {
        List<PemObject> blocks = new ArrayList<>();
        for (X509Certificate certificate : certificates) {
            try {
                blocks.add(new PemObject(CERTIFICATE, certificate.getEncoded()));
            } catch (CertificateException e) {
                throw new IllegalArgumentException(
                        "cannot encode certificate " + certificate.getSubjectX500Principal(), e);
            }
        }
        return write(blocks);
    }

    /** Writes the key as unencrypted PKCS#8. */
    public static String writePrivateKey(PrivateKey key) {
        byte[] encoded = key.getEncoded();
        if (encoded == null || !"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("private key of type " + key.getAlgorithm() + " has no PKCS#8 encoding");
        }
        return write(List.of(new PemObject(PRIVATE_KEY, encoded)));
    }

    public static String writeCsr(PKCS10CertificationRequest csr) {
        try {
            return write(List.of(new PemObject(CERTIFICATE_REQUEST, csr.getEncoded())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code pem} to {@code file}, readable only by its owner since it may hold a key. */
    public static void writeFile(Path file, String pem) {
        try {
            Files.writeString(file, pem, StandardCharsets.US_ASCII);
            try {
                Files.setPosixFilePermissions(
                        file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Not a POSIX file system: keep its default permissions.
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static List<PemObject> blocks(String pem, String what) {
        Objects.requireNonNull(pem, "pem");
        List<PemObject> blocks = new ArrayList<>();
        try (PemReader reader = new PemReader(new StringReader(pem))) {
            PemObject block;
            while ((block = reader.readPemObject()) != null) {
                blocks.add(block);
            }
        } catch (IOException | RuntimeException e) {
            throw new PemException("malformed PEM (expected a " + what + "): " + e.getMessage(), e);
        }
        if (blocks.isEmpty()) {
            throw new PemException(
                    "no PEM block found (expected a " + what + "); input starts with '" + preview(pem) + "'");
        }
        return blocks;
    }

    private static PemObject single(String pem, String what) {
        return single(pem, what, null);
    }

    private static PemObject single(String pem, String what, String ignoredType) {
        List<PemObject> blocks = blocks(pem, what).stream()
                .filter(block -> !block.getType().equals(ignoredType))
                .toList();
        if (blocks.isEmpty()) {
            throw new PemException("no " + what + " found, only " + ignoredType);
        }
        if (blocks.size() != 1) {
            throw new PemException("expected exactly one PEM block (a " + what + ") but found " + blocks.size() + ": "
                    + blocks.stream().map(PemObject::getType).toList());
        }
        return blocks.getFirst();
    }

    private static X509Certificate parseCertificate(byte[] der, int index) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            return (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | RuntimeException e) {
            throw new PemException("malformed certificate #" + (index + 1) + ": " + e.getMessage(), e);
        }
    }

    private static PrivateKey toPrivateKey(PrivateKeyInfo info) throws IOException, GeneralSecurityException {
        ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        String algorithm;
        if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            algorithm = "EC";
        } else if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            algorithm = "RSA";
        } else if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
            algorithm = "Ed25519";
        } else {
            throw new PemException("unsupported private key algorithm " + oid);
        }
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    }

    private static String write(List<PemObject> blocks) {
        StringWriter out = new StringWriter();
        try (PemWriter writer = new PemWriter(out)) {
            for (PemObject block : blocks) {
                writer.writeObject(block);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static <T> T inFile(Path file, java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (PemException e) {
            throw new PemException(file + ": " + e.getMessage(), e);
        }
    }

    private static String preview(String text) {
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= 40 ? oneLine : oneLine.substring(0, 40) + "...";
    }
}
