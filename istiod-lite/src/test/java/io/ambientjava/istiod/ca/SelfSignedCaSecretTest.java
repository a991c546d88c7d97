package io.ambientjava.istiod.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The self-signed mesh CA kept in istio-ca-secret, against fabric8's mock API server. */
@EnableKubernetesMockClient(crud = false)
class SelfSignedCaSecretTest {

    private static final String PATH = "/api/v1/namespaces/istio-system/secrets";

    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void theFirstReplicaCreatesTheSecretAndTheNextLoadsTheSameRoot() throws Exception {
        server.expect()
                .get()
                .withPath(PATH + "/istio-ca-secret")
                .andReturn(404, notFound())
                .once();
        java.util.concurrent.atomic.AtomicReference<String> posted =
                new java.util.concurrent.atomic.AtomicReference<>();
        server.expect()
                .post()
                .withPath(PATH)
                .andReply(201, request -> {
                    posted.set(request.getBody().readUtf8());
                    return posted.get();
                })
                .once();

        MeshCertificateAuthority first = SelfSignedCaSecret.loadOrCreate(client, "istio-system", "cluster.local");

        Secret stored = client.getKubernetesSerialization().unmarshal(posted.get(), Secret.class);
        assertThat(stored.getMetadata().getName()).isEqualTo("istio-ca-secret");
        assertThat(stored.getData()).containsKeys("ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem");

        server.expect()
                .get()
                .withPath(PATH + "/istio-ca-secret")
                .andReturn(200, stored)
                .once();
        MeshCertificateAuthority second = SelfSignedCaSecret.loadOrCreate(client, "istio-system", "cluster.local");

        assertThat(second.trustBundle().roots()).isEqualTo(first.trustBundle().roots());
    }

    @Test
    void theReplicaThatLosesTheRaceUsesTheWinnersCa() {
        MeshCertificateAuthority winner = MeshCertificateAuthority.createSelfSigned("cluster.local");
        Secret winners = secretOf(winner);
        server.expect()
                .get()
                .withPath(PATH + "/istio-ca-secret")
                .andReturn(404, notFound())
                .once();
        server.expect()
                .post()
                .withPath(PATH)
                .andReturn(
                        409,
                        new StatusBuilder()
                                .withCode(409)
                                .withReason("AlreadyExists")
                                .withMessage("secrets \"istio-ca-secret\" already exists")
                                .build())
                .once();
        server.expect()
                .get()
                .withPath(PATH + "/istio-ca-secret")
                .andReturn(200, winners)
                .once();

        MeshCertificateAuthority loser = SelfSignedCaSecret.loadOrCreate(client, "istio-system", "cluster.local");

        assertThat(loser.trustBundle().roots()).isEqualTo(winner.trustBundle().roots());
    }

    @Test
    void aSecretWithoutTheKeyIsRefusedNamingIt() {
        Secret broken = secretOf(MeshCertificateAuthority.createSelfSigned("cluster.local"));
        broken.getData().remove("ca-key.pem");
        server.expect()
                .get()
                .withPath(PATH + "/istio-ca-secret")
                .andReturn(200, broken)
                .once();

        assertThatThrownBy(() -> SelfSignedCaSecret.loadOrCreate(client, "istio-system", "cluster.local"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Secret istio-system/istio-ca-secret has no ca-key.pem; delete it to start a new CA");
    }

    @Test
    void aSecretWhoseKeyDoesNotFitItsCertificateIsRefused() {
        Secret mixed = secretOf(MeshCertificateAuthority.createSelfSigned("cluster.local"));
        mixed.getData()
                .put(
                        "ca-key.pem",
                        secretOf(MeshCertificateAuthority.createSelfSigned("cluster.local"))
                                .getData()
                                .get("ca-key.pem"));
        server.expect()
                .get()
                .withPath(PATH + "/istio-ca-secret")
                .andReturn(200, mixed)
                .once();

        assertThatThrownBy(() -> SelfSignedCaSecret.loadOrCreate(client, "istio-system", "cluster.local"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Secret istio-system/istio-ca-secret does not hold a usable CA: ");
    }

    private static Secret secretOf(MeshCertificateAuthority ca) {
        Map<String, String> data = new java.util.HashMap<>();
        ca.pemFiles().forEach((file, pem) -> data.put(file, Base64.getEncoder().encodeToString(pem.getBytes())));
        return new SecretBuilder()
                .withNewMetadata()
                .withName("istio-ca-secret")
                .withNamespace("istio-system")
                .endMetadata()
                .withData(data)
                .build();
    }

    private static io.fabric8.kubernetes.api.model.Status notFound() {
        return new StatusBuilder().withCode(404).withReason("NotFound").build();
    }
}
