package io.ambientjava.ztunnel.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.ztunnel.caclient.CaClientSettings;
import io.ambientjava.ztunnel.caclient.IstiodCertificateProvider;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.testsupport.InProcessIstiod;
import io.ambientjava.ztunnel.xds.XdsClient;
import io.ambientjava.ztunnel.xds.XdsClientSettings;
import io.ambientjava.ztunnel.xds.XdsNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** xDS and CA over istiod-lite's TLS port: istiod verified by its SPIFFE ID, ztunnel authenticated by its token. */
@Timeout(60)
class ControlPlaneTlsTest {

    private static final XdsNode NODE = new XdsNode("ztunnel-a", "istio-system", "127.0.0.1", "node-a");

    @TempDir
    Path dir;

    private InProcessIstiod istiod;
    private Path token;
    private ControlPlaneTls tls;

    @BeforeEach
    void start() throws Exception {
        istiod = InProcessIstiod.start(dir);
        token = Files.writeString(dir.resolve("token"), InProcessIstiod.NODE_A_TOKEN);
        tls = ControlPlaneTls.istiod(istiod.ca().trustBundle(), "cluster.local");
    }

    @AfterEach
    void stop() {
        istiod.close();
    }

    private XdsClient xds(ControlPlaneTls tls, Path tokenFile, WorkloadStore store) {
        return XdsClient.start(
                XdsClientSettings.of("127.0.0.1", istiod.tlsPort(), NODE)
                        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
                        .withTls(tls, tokenFile),
                store);
    }

    @Test
    void workloadXdsOverTlsWithAToken() throws Exception {
        WorkloadStore store = new WorkloadStore();
        try (XdsClient client = xds(tls, token, store)) {
            client.initialSync().get(10, TimeUnit.SECONDS);
            assertThat(store.snapshot().workloads()).hasSize(2);
            assertThat(client.status().connected()).isTrue();
        }
    }

    @Test
    void withoutAValidTokenTheTlsPortRefusesTheStream() throws Exception {
        Files.writeString(token, "not-a-known-token-0123456789");
        WorkloadStore store = new WorkloadStore();
        try (XdsClient client = xds(tls, token, store)) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.status().lastError().isPresent());
            assertThat(client.status().lastError().get()).contains("UNAUTHENTICATED");
            assertThat(store.snapshot().workloads()).isEmpty();
        }
    }

    @Test
    void anIstiodOutsideTheTrustedRootsIsNotTalkedTo() throws Exception {
        ControlPlaneTls otherRoots = ControlPlaneTls.istiod(
                MeshCertificateAuthority.createSelfSigned("cluster.local").trustBundle(), "cluster.local");
        WorkloadStore store = new WorkloadStore();
        try (XdsClient client = xds(otherRoots, token, store)) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.status().lastError().isPresent());
            assertThat(client.status().lastError().get())
                    .contains("UNAVAILABLE")
                    .contains("does not chain to the configured roots");
            assertThat(store.snapshot().workloads()).isEmpty();
        }
    }

    @Test
    void aRootThatChangesIsTrustedByTheNextConnection() throws Exception {
        var roots = new java.util.concurrent.atomic.AtomicReference<>(
                MeshCertificateAuthority.createSelfSigned("cluster.local").trustBundle());
        ControlPlaneTls rotating = ControlPlaneTls.istiod(roots::get, "cluster.local");
        WorkloadStore store = new WorkloadStore();
        try (XdsClient client = xds(rotating, token, store)) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.status().lastError().orElse("").contains("does not chain"));
            roots.set(istiod.ca().trustBundle()); // the ConfigMap now holds istiod's root
            client.initialSync().get(10, TimeUnit.SECONDS);
            assertThat(store.snapshot().workloads()).hasSize(2);
        }
    }

    @Test
    void aServerWithAnotherIdentityIsNotTalkedTo() throws Exception {
        ControlPlaneTls expectOther = new ControlPlaneTls(
                istiod.ca().trustBundle(), new SpiffeId("cluster.local", "istio-system", "not-istiod"));
        WorkloadStore store = new WorkloadStore();
        try (XdsClient client = xds(expectOther, token, store)) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> client.status().lastError().isPresent());
            assertThat(client.status().lastError().get())
                    .contains("presented spiffe://cluster.local/ns/istio-system/sa/istiod")
                    .contains("expected spiffe://cluster.local/ns/istio-system/sa/not-istiod");
        }
    }

    @Test
    void certificatesOverTls() throws Exception {
        try (IstiodCertificateProvider provider = IstiodCertificateProvider.create(
                CaClientSettings.of("127.0.0.1", istiod.tlsPort(), token).withTls(tls))) {
            SpiffeId web = new SpiffeId("cluster.local", "shop", "web");
            assertThat(provider.fetch(web).get(10, TimeUnit.SECONDS).identity()).isEqualTo(web);
        }
    }
}
