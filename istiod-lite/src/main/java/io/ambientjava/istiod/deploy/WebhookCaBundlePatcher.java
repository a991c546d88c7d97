package io.ambientjava.istiod.deploy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ConfigSource;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills in the {@code caBundle} of istiod-lite's ValidatingWebhookConfiguration with the mesh root, as istiod's
 * webhook controller does, so that the API server trusts the certificate istiod-lite's CA issued for the webhook and
 * validation of Istio resources actually happens (the installed configuration has no caBundle, and with its
 * {@code failurePolicy: Ignore} a webhook the API server cannot verify silently validates nothing).
 *
 * <p>Every webhook of the configuration that calls a Service in istiod-lite's namespace gets the bundle (base64 of
 * the root PEM); webhooks calling anything else and every other field stay as found. The configuration is read from
 * the API server each round, at start, every {@code resyncPeriod} (so one reset by a re-applied manifest is filled in
 * again) and {@code retryDelay} after a failed call; the update is a PUT with the resourceVersion read. A
 * configuration that does not exist is not an error: validation is simply not installed, said once in the log.
 */
public final class WebhookCaBundlePatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookCaBundlePatcher.class);

    /** The configuration's name as Istio's chart gives it for the default revision. */
    public static String configurationName(String istiodNamespace) {
        return "istio-validator-" + istiodNamespace;
    }

    private final KubernetesClient client;
    private final String configurationName;
    private final String istiodNamespace;
    private final Supplier<String> rootPem;
    private final ReconcileLoop loop;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong failedCalls = new AtomicLong();
    private boolean reportedMissing; // on the loop's thread only

    private WebhookCaBundlePatcher(
            KubernetesClient client, String istiodNamespace, Supplier<String> rootPem, ReconcileLoop.Options options) {
        this.client = client;
        this.istiodNamespace = istiodNamespace;
        this.configurationName = configurationName(istiodNamespace);
        this.rootPem = rootPem;
        this.loop = new ReconcileLoop("webhook-ca-bundle", "webhook caBundle round", log, options, this::plan);
    }

    /**
     * Starts keeping the caBundle of {@code istio-validator-<istiodNamespace>} equal to {@code rootPem} (asked again
     * every round, so a rotated root is picked up), through {@code client} (which stays the caller's to close); the
     * first round runs at once.
     */
    public static WebhookCaBundlePatcher start(
            KubernetesClient client,
            ConfigSource source,
            String istiodNamespace,
            Supplier<String> rootPem,
            ReconcileLoop.Options options) {
        WebhookCaBundlePatcher patcher = new WebhookCaBundlePatcher(
                Objects.requireNonNull(client, "client"),
                Objects.requireNonNull(istiodNamespace, "istiodNamespace"),
                Objects.requireNonNull(rootPem, "rootPem"),
                options);
        patcher.loop.start(source);
        log.info(
                "keeping the caBundle of ValidatingWebhookConfiguration {} equal to the mesh root",
                patcher.configurationName);
        return patcher;
    }

    /** Updates of the configuration so far. */
    public long writes() {
        return writes.get();
    }

    /** API calls that failed so far. */
    public long failedCalls() {
        return failedCalls.get();
    }

    /** Runs a round now and waits for it (at most {@code timeout}); true when every API call of it succeeded. */
    public boolean reconcileNow(Duration timeout) {
        return loop.reconcileNow(timeout);
    }

    /** Config snapshots say nothing about webhooks: only a changed root makes a snapshot's round worth running. */
    private ReconcileLoop.Round plan(ConfigSnapshot snapshot) {
        String root = Objects.requireNonNull(rootPem.get(), "root certificate PEM");
        return new ReconcileLoop.Round(root, () -> patch(root));
    }

    private boolean patch(String root) {
        String bundle = Base64.getEncoder().encodeToString(root.getBytes(StandardCharsets.US_ASCII));
        String what = "ValidatingWebhookConfiguration " + configurationName;
        String doing = "reading";
        try {
            var configurations = client.admissionRegistration().v1().validatingWebhookConfigurations();
            ValidatingWebhookConfiguration live =
                    configurations.withName(configurationName).get();
            if (live == null) {
                if (!reportedMissing) {
                    log.info("{} does not exist: Istio resources are not validated on admission", what);
                    reportedMissing = true;
                }
                return true;
            }
            reportedMissing = false;
            List<String> patched = new ArrayList<>();
            for (ValidatingWebhook webhook :
                    live.getWebhooks() == null ? List.<ValidatingWebhook>of() : live.getWebhooks()) {
                WebhookClientConfig clientConfig = webhook.getClientConfig();
                if (!callsIstiod(clientConfig) || bundle.equals(clientConfig.getCaBundle())) {
                    continue;
                }
                clientConfig.setCaBundle(bundle);
                patched.add(webhook.getName());
            }
            if (patched.isEmpty()) {
                return true;
            }
            doing = "updating";
            configurations.resource(live).update();
            writes.incrementAndGet();
            log.info("{}: caBundle set to the mesh root for webhooks {}", what, patched);
            return true;
        } catch (KubernetesClientException e) {
            failedCalls.incrementAndGet();
            loop.reportFailure(what + ": " + doing + " failed: " + ReconcileLoop.reason(e));
            return false;
        }
    }

    /** A webhook that calls a Service in istiod-lite's namespace (not a URL, not another namespace's Service). */
    private boolean callsIstiod(WebhookClientConfig clientConfig) {
        return clientConfig != null
                && clientConfig.getService() != null
                && istiodNamespace.equals(clientConfig.getService().getNamespace());
    }

    @Override
    public void close() {
        loop.close();
    }
}
