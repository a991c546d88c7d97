package io.ambientjava.istiod.ca;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A self-signed mesh CA kept in the Secret {@code istio-ca-secret} of istiod-lite's namespace, as istiod keeps its
 * own when no CA is plugged in: the first replica to start creates it, every other replica and every restart loads
 * it, so the mesh's root outlives any one pod. Two replicas starting at once both try to create it; the one that
 * loses the race (409) loads the winner's.
 */
public final class SelfSignedCaSecret {

    /** Istio's name for it. */
    public static final String NAME = "istio-ca-secret";

    private static final Logger log = LoggerFactory.getLogger(SelfSignedCaSecret.class);
    private static final List<String> FILES = List.of("ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem");

    private SelfSignedCaSecret() {}

    /**
     * The CA in {@code namespace}'s {@code istio-ca-secret}, created there first when it does not exist.
     *
     * @throws IllegalArgumentException when the Secret exists but does not hold a usable CA (naming what is wrong)
     * @throws KubernetesClientException when the API server refuses to read or create it
     */
    public static MeshCertificateAuthority loadOrCreate(KubernetesClient client, String namespace, String trustDomain) {
        var resource = client.secrets().inNamespace(namespace).withName(NAME);
        Secret existing = resource.get();
        if (existing != null) {
            log.info("mesh CA loaded from Secret {}/{}", namespace, NAME);
            return load(existing, namespace, trustDomain);
        }
        MeshCertificateAuthority created = MeshCertificateAuthority.createSelfSigned(trustDomain);
        try {
            client.secrets()
                    .inNamespace(namespace)
                    .resource(toSecret(created, namespace))
                    .create();
            log.info("created a self-signed mesh CA and kept it in Secret {}/{}", namespace, NAME);
            return created;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            Secret winner = resource.get();
            if (winner == null) {
                throw new IllegalStateException(
                        "Secret " + namespace + "/" + NAME + " was created by another" + " replica and is gone again",
                        e);
            }
            log.info("another replica created Secret {}/{} first; using its CA", namespace, NAME);
            return load(winner, namespace, trustDomain);
        }
    }

    private static Secret toSecret(MeshCertificateAuthority ca, String namespace) {
        Map<String, String> data = new LinkedHashMap<>();
        withFiles(dir -> {
            ca.writeTo(dir);
            for (String file : FILES) {
                data.put(file, Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve(file))));
            }
            return null;
        });
        return new SecretBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "istiod-lite")
                .endMetadata()
                .withType("istio.io/ca-root")
                .withData(data)
                .build();
    }

    private static MeshCertificateAuthority load(Secret secret, String namespace, String trustDomain) {
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        for (String required : List.of("ca-cert.pem", "ca-key.pem")) {
            if (!data.containsKey(required)) {
                throw new IllegalArgumentException(
                        "Secret " + namespace + "/" + NAME + " has no " + required + "; delete it to start a new CA");
            }
        }
        return withFiles(dir -> {
            for (String file : FILES) {
                if (data.containsKey(file)) {
                    Files.write(dir.resolve(file), Base64.getDecoder().decode(data.get(file)));
                }
            }
            try {
                return MeshCertificateAuthority.fromPem(
                        dir.resolve("ca-cert.pem"),
                        dir.resolve("ca-key.pem"),
                        data.containsKey("cert-chain.pem") ? dir.resolve("cert-chain.pem") : null,
                        data.containsKey("root-cert.pem") ? dir.resolve("root-cert.pem") : null,
                        trustDomain);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "Secret " + namespace + "/" + NAME + " does not hold a usable CA: " + e.getMessage(), e);
            }
        });
    }

    private interface InDirectory<T> {
        T apply(Path dir) throws IOException;
    }

    /** Runs {@code work} with a private temporary directory, deleted afterwards (the key passes through it). */
    private static <T> T withFiles(InDirectory<T> work) {
        Path dir;
        try {
            dir = Files.createTempDirectory("istiod-ca-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a temporary directory for the CA files", e);
        }
        try {
            return work.apply(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pass the CA through " + dir, e);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                log.warn("cannot delete the temporary CA files in {}: {}", dir, e.getMessage());
            }
        }
    }
}
