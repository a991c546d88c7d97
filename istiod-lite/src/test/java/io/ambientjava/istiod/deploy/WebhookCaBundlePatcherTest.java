package io.ambientjava.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.kubernetes.KubernetesSource;
import io.ambientjava.istiod.config.kubernetes.WatchedKind;
import io.ambientjava.istiod.testsupport.MockApiServer;
import io.ambientjava.istiod.testsupport.SharedMockApiServer;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The webhook caBundle patcher against fabric8's mock API server in CRUD mode. */
class WebhookCaBundlePatcherTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Duration ROUND = Duration.ofSeconds(10);
    private static final String ROOT_A = "-----BEGIN CERTIFICATE-----\nroot-a\n-----END CERTIFICATE-----\n";
    private static final String ROOT_B = "-----BEGIN CERTIFICATE-----\nroot-b\n-----END CERTIFICATE-----\n";
    private static final String CONFIGURATION = "istio-validator-istio-system";

    /** As deploy/daemonset/base/istiod/webhook.yaml installs it, plus a webhook of someone else's. */
    private static final String INSTALLED = """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingWebhookConfiguration
            metadata:
              name: istio-validator-istio-system
              labels: {app: istiod}
            webhooks:
            - name: rev.validation.istio.io
              admissionReviewVersions: [v1]
              sideEffects: None
              failurePolicy: Ignore
              clientConfig:
                service: {name: istiod, namespace: istio-system, path: /validate, port: 15017}
              rules:
              - operations: [CREATE, UPDATE]
                apiGroups: [security.istio.io, networking.istio.io, telemetry.istio.io]
                apiVersions: ["*"]
                resources: ["*"]
            - name: other.example.test
              admissionReviewVersions: [v1]
              sideEffects: None
              failurePolicy: Fail
              clientConfig:
                service: {name: policy, namespace: policy-system, path: /check}
                caBundle: b3RoZXI=
              rules:
              - operations: [CREATE]
                apiGroups: [""]
                apiVersions: [v1]
                resources: [configmaps]
            """;

    @RegisterExtension
    static final SharedMockApiServer API = new SharedMockApiServer();

    private static MockApiServer api() {
        return API.server();
    }

    private KubernetesClient client;
    private KubernetesClient admin;
    private KubernetesSource source;
    private WebhookCaBundlePatcher patcher;
    private final AtomicReference<String> root = new AtomicReference<>(ROOT_A);

    @BeforeEach
    void clients() {
        client = API.newClientWithoutRetries();
        admin = api().newClient();
    }

    @AfterEach
    void stop() {
        if (patcher != null) {
            patcher.close();
        }
        if (source != null) {
            source.close();
        }
        client.close();
        admin.close();
    }

    private void startPatcher(Duration resync) {
        source = KubernetesSource.connect(
                api().config(),
                KubernetesSource.Options.defaults()
                        .withDebounce(Duration.ofMillis(30))
                        .withInitialSyncTimeout(Duration.ofSeconds(10))
                        .withKinds(List.of(WatchedKind.newest(ResourceKind.NAMESPACE))));
        patcher = WebhookCaBundlePatcher.start(
                client,
                source,
                "istio-system",
                root::get,
                ReconcileLoop.Options.defaults().withResyncPeriod(resync).withRetryDelay(Duration.ofMillis(200)));
    }

    private static String base64(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private Map<String, String> bundles() {
        ValidatingWebhookConfiguration live = admin.admissionRegistration()
                .v1()
                .validatingWebhookConfigurations()
                .withName(CONFIGURATION)
                .get();
        if (live == null) {
            return Map.of();
        }
        return live.getWebhooks().stream()
                .collect(Collectors.toMap(
                        ValidatingWebhook::getName,
                        w -> String.valueOf(w.getClientConfig().getCaBundle())));
    }

    private ValidatingWebhookConfiguration live() {
        return admin.admissionRegistration()
                .v1()
                .validatingWebhookConfigurations()
                .withName(CONFIGURATION)
                .get();
    }

    @Test
    void theIstiodWebhookGetsTheRootAndOthersStayAsFound() {
        admin.resource(INSTALLED).create();
        startPatcher(Duration.ofMinutes(10));

        await().atMost(WAIT).until(() -> base64(ROOT_A).equals(bundles().get("rev.validation.istio.io")));
        assertThat(bundles()).containsEntry("other.example.test", "b3RoZXI=");
        ValidatingWebhook istiod = live().getWebhooks().getFirst();
        assertThat(istiod.getFailurePolicy()).isEqualTo("Ignore");
        assertThat(istiod.getRules().getFirst().getApiGroups())
                .containsExactly("security.istio.io", "networking.istio.io", "telemetry.istio.io");
        assertThat(istiod.getClientConfig().getService().getPath()).isEqualTo("/validate");

        String version = live().getMetadata().getResourceVersion();
        for (int i = 0; i < 3; i++) {
            assertThat(patcher.reconcileNow(ROUND)).isTrue();
        }
        assertThat(patcher.writes()).isEqualTo(1);
        assertThat(live().getMetadata().getResourceVersion()).isEqualTo(version);
    }

    @Test
    void aConfigurationInstalledLaterOrResetIsFilledIn() {
        startPatcher(Duration.ofMillis(300));
        assertThat(patcher.reconcileNow(ROUND))
                .as("no configuration is not a failure")
                .isTrue();
        assertThat(patcher.writes()).isZero();

        admin.resource(INSTALLED).create();
        await().atMost(WAIT).until(() -> base64(ROOT_A).equals(bundles().get("rev.validation.istio.io")));

        // a re-applied manifest, or a hand edit, empties it: the next resync fills it in again
        ValidatingWebhookConfiguration reset = live();
        reset.getWebhooks().getFirst().getClientConfig().setCaBundle(null);
        admin.admissionRegistration()
                .v1()
                .validatingWebhookConfigurations()
                .resource(reset)
                .update();
        await().atMost(WAIT).until(() -> base64(ROOT_A).equals(bundles().get("rev.validation.istio.io")));
    }

    @Test
    void aRotatedRootReplacesTheBundle() {
        admin.resource(INSTALLED).create();
        startPatcher(Duration.ofMillis(300));
        await().atMost(WAIT).until(() -> base64(ROOT_A).equals(bundles().get("rev.validation.istio.io")));

        root.set(ROOT_B);
        await().atMost(WAIT).until(() -> base64(ROOT_B).equals(bundles().get("rev.validation.istio.io")));
        assertThat(bundles()).containsEntry("other.example.test", "b3RoZXI=");
    }

    @Test
    void aForbiddenUpdateIsCountedAndRetriedUntilAllowed() {
        api().server()
                .expect()
                .put()
                .withPath("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/" + CONFIGURATION)
                .andReturn(403, "{\"kind\":\"Status\",\"code\":403,\"reason\":\"Forbidden\",\"message\":\"no\"}")
                .times(2);
        admin.resource(INSTALLED).create();
        startPatcher(Duration.ofMinutes(10));
        await().atMost(WAIT).until(() -> base64(ROOT_A).equals(bundles().get("rev.validation.istio.io")));
        assertThat(patcher.failedCalls()).isGreaterThanOrEqualTo(2);
    }
}
