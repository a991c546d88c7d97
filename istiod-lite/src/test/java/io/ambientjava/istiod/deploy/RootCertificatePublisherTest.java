package io.ambientjava.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.kubernetes.KubernetesSource;
import io.ambientjava.istiod.config.kubernetes.WatchedKind;
import io.ambientjava.istiod.testsupport.MockApiServer;
import io.ambientjava.istiod.testsupport.MovableClock;
import io.ambientjava.istiod.testsupport.SharedMockApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The root certificate publisher against fabric8's mock API server in CRUD mode, fed by the Kubernetes source
 * (Namespaces and ConfigMaps) as in istiod-lite.
 */
class RootCertificatePublisherTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Duration ROUND = Duration.ofSeconds(10);
    private static final String ROOT_A = "-----BEGIN CERTIFICATE-----\nroot-a\n-----END CERTIFICATE-----\n";
    private static final String ROOT_B = "-----BEGIN CERTIFICATE-----\nroot-b\n-----END CERTIFICATE-----\n";
    private static final KubernetesSource.Options SOURCE_OPTIONS = KubernetesSource.Options.defaults()
            .withDebounce(Duration.ofMillis(30))
            .withInitialSyncTimeout(Duration.ofSeconds(10))
            .withKinds(
                    List.of(WatchedKind.newest(ResourceKind.NAMESPACE), WatchedKind.newest(ResourceKind.CONFIG_MAP)));

    @RegisterExtension
    static final SharedMockApiServer API = new SharedMockApiServer();

    private static MockApiServer api() {
        return API.server();
    }

    private KubernetesClient client;
    private KubernetesClient admin;
    private KubernetesSource source;
    private RootCertificatePublisher publisher;
    private final AtomicReference<String> root = new AtomicReference<>(ROOT_A);
    private final MovableClock clock = new MovableClock(Instant.parse("2030-01-01T00:00:00Z"));

    @BeforeEach
    void clients() {
        // No client-side retries: a failure the mock is told to answer reaches the publisher.
        client = API.newClientWithoutRetries();
        admin = api().newClient();
    }

    @AfterEach
    void stop() {
        if (publisher != null) {
            publisher.close();
        }
        if (source != null) {
            source.close();
        }
        client.close();
        admin.close();
    }

    private void startPublisher() {
        source = KubernetesSource.connect(api().config(), SOURCE_OPTIONS);
        publisher = RootCertificatePublisher.start(
                client,
                source,
                root::get,
                ReconcileLoop.Options.defaults()
                        .withResyncPeriod(Duration.ofMinutes(10))
                        .withRetryDelay(Duration.ofMillis(200))
                        .withClock(clock));
    }

    private static String namespace(String name) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata: {name: %s}
                """.formatted(name);
    }

    private ConfigMap rootCert(String namespace) {
        return admin.configMaps()
                .inNamespace(namespace)
                .withName(RootCertificatePublisher.CONFIG_MAP)
                .get();
    }

    private boolean holds(String namespace, String pem) {
        ConfigMap configMap = rootCert(namespace);
        return configMap != null
                && configMap.getData() != null
                && pem.equals(configMap.getData().get(RootCertificatePublisher.DATA_KEY));
    }

    private void awaitRoot(String namespace, String pem) {
        await().atMost(WAIT).until(() -> holds(namespace, pem));
    }

    @Test
    void everyNamespaceButTheSkippedOnesGetsTheRootLabelledAsIstioDoes() {
        for (String name : List.of(
                "default",
                "shop",
                "istio-system",
                "kube-system",
                "kube-public",
                "kube-node-lease",
                "local-path-storage")) {
            api().apply(namespace(name));
        }
        startPublisher();
        for (String name : List.of("default", "shop", "istio-system", "kube-system")) {
            awaitRoot(name, ROOT_A);
            ConfigMap configMap = rootCert(name);
            assertThat(configMap.getMetadata().getLabels()).containsExactlyEntriesOf(Map.of("istio.io/config", "true"));
            assertThat(configMap.getData()).containsOnlyKeys("root-cert.pem");
        }
        assertThat(publisher.reconcileNow(ROUND)).isTrue();
        for (String skipped : List.of("kube-public", "kube-node-lease", "local-path-storage")) {
            assertThat(rootCert(skipped)).as(skipped).isNull();
        }
        assertThat(publisher.writes()).isEqualTo(4);
    }

    @Test
    void aNewNamespaceGetsItAndADeletedConfigMapComesBack() {
        api().apply(namespace("shop"));
        startPublisher();
        awaitRoot("shop", ROOT_A);

        api().apply(namespace("late"));
        awaitRoot("late", ROOT_A);

        admin.configMaps()
                .inNamespace("shop")
                .withName(RootCertificatePublisher.CONFIG_MAP)
                .delete();
        awaitRoot("shop", ROOT_A);
    }

    @Test
    void aTerminatingNamespaceGetsNothing() {
        api().apply(namespace("shop"));
        api().apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: leaving}
                status: {phase: Terminating}
                """);
        startPublisher();
        awaitRoot("shop", ROOT_A);
        assertThat(publisher.reconcileNow(ROUND)).isTrue();
        assertThat(rootCert("leaving")).isNull();
    }

    @Test
    void anotherRootIsReplacedAndTheKeysAndLabelsOfOthersStay() {
        api().apply(namespace("shop"));
        admin.configMaps()
                .inNamespace("shop")
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName(RootCertificatePublisher.CONFIG_MAP)
                        .withNamespace("shop")
                        .withLabels(Map.of("team", "payments"))
                        .withAnnotations(Map.of("note", "kept"))
                        .endMetadata()
                        .withData(Map.of("root-cert.pem", "stale", "extra.pem", "someone else's"))
                        .build())
                .create();
        startPublisher();
        awaitRoot("shop", ROOT_A);
        ConfigMap configMap = rootCert("shop");
        assertThat(configMap.getData()).containsEntry("extra.pem", "someone else's");
        assertThat(configMap.getMetadata().getLabels()).containsExactlyEntriesOf(Map.of("team", "payments"));
        assertThat(configMap.getMetadata().getAnnotations()).containsEntry("note", "kept");
        assertThat(publisher.writes()).isEqualTo(1);
    }

    @Test
    void aRotatedRootReachesEveryNamespace() {
        api().apply(namespace("alpha"));
        api().apply(namespace("beta"));
        startPublisher();
        awaitRoot("alpha", ROOT_A);
        awaitRoot("beta", ROOT_A);

        root.set(ROOT_B);
        assertThat(publisher.reconcileNow(ROUND)).isTrue();
        assertThat(holds("alpha", ROOT_B)).isTrue();
        assertThat(holds("beta", ROOT_B)).isTrue();
        assertThat(publisher.writes()).isEqualTo(4);
    }

    @Test
    void nothingIsWrittenWhenNothingChanged() {
        api().apply(namespace("shop"));
        startPublisher();
        awaitRoot("shop", ROOT_A);
        // wait until the source has seen the ConfigMap, so rounds decide from the snapshot
        await().atMost(WAIT)
                .until(() -> source.current()
                        .get(ResourceKind.CONFIG_MAP, "shop", RootCertificatePublisher.CONFIG_MAP, ConfigMap.class)
                        .isPresent());
        String before = rootCert("shop").getMetadata().getResourceVersion();
        long writes = publisher.writes();
        for (int i = 0; i < 3; i++) {
            assertThat(publisher.reconcileNow(ROUND)).isTrue();
        }
        assertThat(publisher.writes()).isEqualTo(writes).isEqualTo(1);
        assertThat(rootCert("shop").getMetadata().getResourceVersion()).isEqualTo(before);
    }

    @Test
    void aFailedCallIsRetriedAndDoesNotStopTheOthers() {
        api().server()
                .expect()
                .post()
                .withPath("/api/v1/namespaces/alpha/configmaps")
                .andReturn(500, "{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd is having a moment\"}")
                .once();
        api().apply(namespace("alpha"));
        api().apply(namespace("beta"));
        startPublisher();
        awaitRoot("beta", ROOT_A);
        awaitRoot("alpha", ROOT_A);
        assertThat(publisher.failedCalls()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aForbiddenCallIsRetriedUntilItIsAllowed() {
        api().server()
                .expect()
                .put()
                .withPath("/api/v1/namespaces/shop/configmaps/istio-ca-root-cert")
                .andReturn(403, "{\"kind\":\"Status\",\"code\":403,\"reason\":\"Forbidden\",\"message\":\"no\"}")
                .times(2);
        api().apply(namespace("shop"));
        admin.configMaps()
                .inNamespace("shop")
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName(RootCertificatePublisher.CONFIG_MAP)
                        .withNamespace("shop")
                        .endMetadata()
                        .withData(Map.of("root-cert.pem", "stale"))
                        .build())
                .create();
        startPublisher();
        awaitRoot("shop", ROOT_A);
        assertThat(publisher.failedCalls()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void anotherWriterWithAnotherRootIsNotFoughtOnEveryChange() {
        api().apply(namespace("shop"));
        startPublisher();
        awaitRoot("shop", ROOT_A);
        // a second replica with a root of its own writes it right after
        ConfigMap configMap = rootCert("shop");
        configMap.getData().put("root-cert.pem", ROOT_B);
        admin.configMaps().inNamespace("shop").resource(configMap).update();
        await().atMost(WAIT)
                .until(() -> source.current()
                        .get(ResourceKind.CONFIG_MAP, "shop", RootCertificatePublisher.CONFIG_MAP, ConfigMap.class)
                        .map(c -> ROOT_B.equals(c.getData().get("root-cert.pem")))
                        .orElse(false));
        assertThat(publisher.reconcileNow(ROUND)).isTrue();
        assertThat(holds("shop", ROOT_B)).isTrue();
        assertThat(publisher.writes()).isEqualTo(1);

        // once a resync period has passed, it is written again
        clock.advance(Duration.ofMinutes(11));
        assertThat(publisher.reconcileNow(ROUND)).isTrue();
        assertThat(holds("shop", ROOT_A)).isTrue();
        assertThat(publisher.writes()).isEqualTo(2);
    }
}
