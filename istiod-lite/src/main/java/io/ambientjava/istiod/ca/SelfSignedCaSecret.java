package io.ambientjava.istiod.ca;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Base64;
import java.util.LinkedHashMap;
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
    private static final Base64.Encoder ENCODER = Base64.getEncoder();
    private static final Base64.Decoder DECODER = Base64.getDecoder();

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
        ca.pemFiles().forEach((file, pem) -> data.put(file, ENCODER.encodeToString(pem.getBytes(US_ASCII))));
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
        Map<String, String> files = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((file, base64) -> files.put(file, new String(DECODER.decode(base64), US_ASCII)));
        }
        String source = "Secret " + namespace + "/" + NAME;
        for (String required : new String[] {"ca-cert.pem", "ca-key.pem"}) {
            if (!files.containsKey(required)) {
                throw new IllegalArgumentException(source + " has no " + required + "; delete it to start a new CA");
            }
        }
        try {
            return MeshCertificateAuthority.fromPem(files, source, trustDomain);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " does not hold a usable CA: " + e.getMessage(), e);
        }
    }
}
