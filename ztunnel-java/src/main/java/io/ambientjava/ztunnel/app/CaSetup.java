package io.ambientjava.ztunnel.app;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The local CA a ztunnel issues its workload certificates from, until istiod-lite's CA serves them.
 *
 * <p>Two ztunnels only trust each other when they share one CA: give both {@code --ca-dir} with the same
 * Istio-style {@code cacerts} files ({@code ca-cert.pem}, {@code ca-key.pem}, optional {@code cert-chain.pem},
 * {@code root-cert.pem}). Without it a fresh self-signed CA is made; {@code --ca-out} writes it (key included,
 * readable by its owner only) in the same layout, so a second ztunnel can be pointed at it with {@code --ca-dir}.
 */
public final class CaSetup {

    static final String CA_CERT = "ca-cert.pem";
    static final String CA_KEY = "ca-key.pem";
    static final String CERT_CHAIN = "cert-chain.pem";
    static final String ROOT_CERT = "root-cert.pem";

    private CaSetup() {}

    public static MeshCertificateAuthority load(String trustDomain, Optional<Path> caDir, Optional<Path> caOut)
            throws StartupException {
        if (caDir.isPresent() && caOut.isPresent()) {
            throw new StartupException("use either --ca-dir (an existing CA) or --ca-out (write a new one), not both");
        }
        if (caDir.isPresent()) {
            return fromDirectory(trustDomain, caDir.get());
        }
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned(trustDomain);
        if (caOut.isPresent()) {
            try {
                ca.writeTo(caOut.get());
            } catch (UncheckedIOException | IllegalArgumentException e) {
                throw new StartupException("--ca-out " + caOut.get() + ": cannot write the CA: " + e.getMessage(), e);
            }
        }
        return ca;
    }

    private static MeshCertificateAuthority fromDirectory(String trustDomain, Path dir) throws StartupException {
        if (!Files.isDirectory(dir)) {
            throw new StartupException("--ca-dir " + dir + " is not a directory");
        }
        Path cert = required(dir, CA_CERT);
        Path key = required(dir, CA_KEY);
        Path chain = optional(dir, CERT_CHAIN);
        Path root = optional(dir, ROOT_CERT);
        try {
            return MeshCertificateAuthority.fromPem(cert, key, chain, root, trustDomain);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new StartupException("--ca-dir " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Path required(Path dir, String name) throws StartupException {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new StartupException("--ca-dir " + dir + " has no " + name);
        }
        return file;
    }

    private static Path optional(Path dir, String name) {
        Path file = dir.resolve(name);
        return Files.isRegularFile(file) ? file : null;
    }
}
