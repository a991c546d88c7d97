package io.ambientjava.istiod.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.istiod.testsupport.ServerCertificate;
import io.ambientjava.testing.RequiresCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GroupVersionKind;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The validating webhook over real HTTPS, with fabric8's AdmissionReview model on the client side. */
class WebhookServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new YAMLMapper();

    @TempDir
    static Path folder;

    private static ServerCertificate certificate;
    private static WebhookServer webhook;
    private static HttpClient client;

    @BeforeAll
    static void start() throws IOException {
        certificate = ServerCertificate.create(folder);
        webhook = WebhookServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                certificate.certificateFile(),
                certificate.keyFile());
        client = HttpClient.newBuilder()
                .sslContext(certificate.trustingClient())
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterAll
    static void stop() {
        client.close();
        webhook.close();
    }

    @Test
    void aValidResourceIsAllowedAndTheUidEchoed() throws Exception {
        AdmissionReview review = review("CREATE", """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: shop}
                spec: {mtls: {mode: STRICT}}
                """);
        AdmissionReview answer = send(review);
        assertThat(answer.getApiVersion()).isEqualTo("admission.k8s.io/v1");
        assertThat(answer.getKind()).isEqualTo("AdmissionReview");
        assertThat(answer.getResponse().getUid()).isEqualTo(review.getRequest().getUid());
        assertThat(answer.getResponse().getAllowed()).isTrue();
        assertThat(answer.getResponse().getStatus()).isNull();
    }

    @Test
    void anInvalidResourceIsRefusedNamingResourceFieldAndReason() throws Exception {
        AdmissionReview review = review("UPDATE", """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: shop}
                spec: {mtls: {mode: STRCT}}
                """);
        AdmissionResponse response = send(review).getResponse();
        assertThat(response.getUid()).isEqualTo(review.getRequest().getUid());
        assertThat(response.getAllowed()).isFalse();
        assertThat(response.getStatus().getCode()).isEqualTo(422);
        assertThat(response.getStatus().getMessage())
                .contains("PeerAuthentication shop/default")
                .contains("spec.mtls.mode")
                .contains("unknown value 'STRCT'");
    }

    @Test
    void everyErrorIsListedAndWarningsAreReturned() throws Exception {
        AdmissionResponse refused = send(review("CREATE", """
                apiVersion: v1
                kind: Pod
                metadata: {name: web-0, namespace: shop}
                spec: {containers: [{name: app, image: app}], nodeNam: node-a}
                status: {podIp: 198.18.1.1}
                """)).getResponse();
        assertThat(refused.getAllowed()).isFalse();
        assertThat(refused.getStatus().getMessage())
                .isEqualTo("istiod-lite: Pod shop/web-0: spec.nodeNam: unknown field 'nodeNam' (did you mean"
                        + " 'nodeName'?); Pod shop/web-0: status.podIp: unknown field 'podIp' (did you mean 'podIP'?)");

        AdmissionResponse warned = send(review("CREATE", """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, namespace: ignored}
                """)).getResponse();
        assertThat(warned.getAllowed()).isTrue();
        assertThat(warned.getWarnings()).singleElement().asString().contains("metadata.namespace");
    }

    @Test
    void theNamespaceComesFromTheRequestWhenTheObjectHasNone() throws Exception {
        AdmissionReview review = review("CREATE", """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: ext}
                spec: {action: ALLOW, provider: {name: ext-authz}, rules: [{}]}
                """);
        review.getRequest().setNamespace("payments");
        AdmissionResponse response = send(review).getResponse();
        assertThat(response.getAllowed()).isFalse();
        assertThat(response.getStatus().getMessage())
                .startsWith("istiod-lite: AuthorizationPolicy payments/ext: spec.provider: ");
    }

    @Test
    void otherKindsAndDeletionsAreAllowed() throws Exception {
        assertThat(send(review("CREATE", """
                        apiVersion: v1
                        kind: ConfigMap
                        metadata: {name: settings, namespace: shop}
                        data: {a: b}
                        """)).getResponse().getAllowed()).isTrue();
        AdmissionReview deletion = review("DELETE", null);
        assertThat(send(deletion).getResponse().getAllowed()).isTrue();
    }

    @Test
    void everySeedExampleIsAllowed() throws Exception {
        try (Stream<Path> seeds = Files.list(Path.of("src/test/resources/seed-examples"))) {
            for (Path seed :
                    seeds.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                AdmissionResponse response =
                        send(review("CREATE", Files.readString(seed))).getResponse();
                assertThat(response.getAllowed())
                        .as(seed.getFileName().toString())
                        .isTrue();
                assertThat(response.getWarnings())
                        .as(seed.getFileName().toString())
                        .isNullOrEmpty();
            }
        }
    }

    @Test
    void aMalformedReviewIsHttp400WithTheReason() throws Exception {
        assertThat(post("{not json")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).startsWith("malformed AdmissionReview: the body is not JSON");
        });
        assertThat(post("{\"apiVersion\": \"admission.k8s.io/v1beta1\", \"kind\": \"AdmissionReview\"}"))
                .satisfies(r -> {
                    assertThat(r.statusCode()).isEqualTo(400);
                    assertThat(r.body()).contains("expected apiVersion admission.k8s.io/v1");
                });
        assertThat(post("{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {}}"))
                .satisfies(r -> {
                    assertThat(r.statusCode()).isEqualTo(400);
                    assertThat(r.body()).contains("request.uid: required");
                });
        assertThat(post("""
                        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                         "request": {"uid": "1", "operation": "CREATE"}}
                        """)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("request.object: required for CREATE");
        });
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        HttpResponse<String> wrongPath = client.send(
                HttpRequest.newBuilder(uri("/mutate"))
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wrongPath.statusCode()).isEqualTo(404);
        HttpResponse<String> get = client.send(
                HttpRequest.newBuilder(uri(WebhookServer.PATH)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
    }

    @Test
    void aMissingOrForeignKeyIsRefusedAtStart(@TempDir Path other) {
        ServerCertificate second = ServerCertificate.create(other);
        var anyPort = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        assertThatThrownBy(() -> WebhookServer.start(anyPort, certificate.certificateFile(), other.resolve("none.key")))
                .isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("none.key");
        assertThatThrownBy(() -> WebhookServer.start(anyPort, certificate.certificateFile(), second.keyFile()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong to its certificate");
    }

    @Test
    void aRotatedCertificateIsServedToNewConnections(@TempDir Path files) throws Exception {
        ServerCertificate first = ServerCertificate.create(files);
        try (WebhookServer rotating = WebhookServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                first.certificateFile(),
                first.keyFile(),
                Duration.ofMillis(50))) {
            assertThat(servedCertificate(rotating.port())).isEqualTo(first.certificate());

            Path staging = Files.createDirectories(files.resolve("next"));
            ServerCertificate second = ServerCertificate.create(staging);
            // a half-written pair (new certificate, old key) is refused and the old pair kept
            Files.copy(second.certificateFile(), first.certificateFile(), StandardCopyOption.REPLACE_EXISTING);
            Thread.sleep(100);
            assertThat(servedCertificate(rotating.port())).isEqualTo(first.certificate());

            Files.copy(second.keyFile(), first.keyFile(), StandardCopyOption.REPLACE_EXISTING);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> servedCertificate(rotating.port()).equals(second.certificate()));
        }
    }

    /** The leaf certificate a new TLS connection is shown (any certificate is accepted for the look). */
    private static Certificate servedCertificate(int port) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new AcceptAnything()}, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0];
        }
    }

    private static final class AcceptAnything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    @Test
    @RequiresCommand({"curl"})
    void curlGetsAnAnswer(@TempDir Path scratch) throws Exception {
        Path body = scratch.resolve("review.json");
        Files.write(body, JSON.writeValueAsBytes(review("CREATE", """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: shop}
                spec: {mtls: {mode: STRCT}}
                """)));
        Process curl = new ProcessBuilder(
                        "curl",
                        "-sS",
                        "--max-time",
                        "10",
                        "--cacert",
                        certificate.certificateFile().toString(),
                        "-H",
                        "Content-Type: application/json",
                        "--data-binary",
                        "@" + body,
                        "https://127.0.0.1:" + webhook.port() + WebhookServer.PATH)
                .redirectErrorStream(true)
                .start();
        try {
            String output = new String(curl.getInputStream().readAllBytes());
            assertThat(curl.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(curl.exitValue()).as(output).isZero();
            AdmissionReview answer = JSON.readValue(output, AdmissionReview.class);
            assertThat(answer.getResponse().getAllowed()).isFalse();
            assertThat(answer.getResponse().getStatus().getMessage()).contains("spec.mtls.mode");
        } finally {
            curl.destroyForcibly();
        }
    }

    /** An AdmissionReview for {@code yaml} (null for a deletion, which carries no object). */
    private static AdmissionReview review(String operation, String yaml) throws IOException {
        var request = new AdmissionReviewBuilder()
                .withApiVersion("admission.k8s.io/v1")
                .withKind("AdmissionReview")
                .withNewRequest()
                .withUid(UUID.randomUUID().toString())
                .withOperation(operation);
        if (yaml == null) {
            return request.withKind(new GroupVersionKind("", "Pod", "v1"))
                    .withNamespace("shop")
                    .withName("web-0")
                    .endRequest()
                    .build();
        }
        GenericKubernetesResource object = YAML.readValue(yaml, GenericKubernetesResource.class);
        String apiVersion = object.getApiVersion();
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        return request.withKind(new GroupVersionKind(group, object.getKind(), version))
                .withNamespace(object.getMetadata().getNamespace())
                .withName(object.getMetadata().getName())
                .withObject(object)
                .endRequest()
                .build();
    }

    private static AdmissionReview send(AdmissionReview review) throws Exception {
        HttpResponse<String> response = post(JSON.writeValueAsString(review));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        return JSON.readValue(response.body(), AdmissionReview.class);
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return client.send(
                HttpRequest.newBuilder(uri(WebhookServer.PATH))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("https://127.0.0.1:" + webhook.port() + path);
    }
}
