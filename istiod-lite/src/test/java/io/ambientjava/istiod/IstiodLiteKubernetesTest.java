package io.ambientjava.istiod;

import static io.ambientjava.istiod.testsupport.Configs.ambientNamespace;
import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.api.ca.IstioCertificateRequest;
import io.ambientjava.api.ca.IstioCertificateResponse;
import io.ambientjava.api.ca.IstioCertificateServiceGrpc;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.csr.CsrGenerator;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.istiod.server.IstiodServer;
import io.ambientjava.istiod.testsupport.MockApiServer;
import io.ambientjava.istiod.testsupport.ServerCertificate;
import io.ambientjava.istiod.testsupport.XdsTestClient;
import io.ambientjava.istiod.xds.TypeUrls;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** istiod-lite on a Kubernetes API server (the CRUD mock) through {@code --kubeconfig}, with its webhook. */
class IstiodLiteKubernetesTest {

    @TempDir
    Path temp;

    @Test
    void aSourceThatCannotBeOpenedStopsTheStart() {
        StringWriter err = new StringWriter();
        String[] common = {"--xds-port", "0", "--tls-port", "-1", "--monitoring-port", "-1", "--webhook-port", "-1"};
        assertThat(IstiodLite.run(
                        new PrintWriter(err, true),
                        concat(
                                new String[] {
                                    "--kubeconfig", temp.resolve("absent").toString()
                                },
                                common)))
                .isEqualTo(1);
        assumeTrue(System.getenv("KUBERNETES_SERVICE_HOST") == null);
        assertThat(IstiodLite.run(new PrintWriter(err, true), concat(new String[] {"--in-cluster"}, common)))
                .isEqualTo(1);
    }

    private static String[] concat(String[] first, String[] second) {
        return Stream.concat(Arrays.stream(first), Arrays.stream(second)).toArray(String[]::new);
    }

    @Test
    void servesWorkloadXdsFromTheApiServerAndValidatesThroughTheWebhook() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            api.apply(join(ambientNamespace("shop"), pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web")));
            Path kubeconfig = Files.writeString(temp.resolve("kubeconfig"), api.kubeconfig());
            ServerCertificate certificate = ServerCertificate.create(Files.createDirectories(temp.resolve("tls")));
            IstiodLite main = new IstiodLite();
            new CommandLine(main)
                    .parseArgs(
                            "--kubeconfig", kubeconfig.toString(),
                            "--xds-port", "0",
                            "--tls-port", "-1",
                            "--tls-address", "127.0.0.1",
                            "--monitoring-port", "-1",
                            "--webhook-port", "0",
                            "--webhook-cert", certificate.certificateFile().toString(),
                            "--webhook-key", certificate.keyFile().toString(),
                            "--debounce-ms", "20");
            try {
                IstiodServer server = main.start();
                try (XdsTestClient client = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
                    client.subscribe(TypeUrls.ADDRESS);
                    DeltaDiscoveryResponse first = client.next();
                    assertThat(first.getResourcesList())
                            .extracting(Resource::getName)
                            .containsExactly("Kubernetes//Pod/shop/web-0");
                    client.ack(first);

                    api.apply(pod("shop", "web-1", "198.18.1.6", "web", "node-b", "app=web"));
                    DeltaDiscoveryResponse added = client.next();
                    assertThat(added.getResourcesList())
                            .extracting(Resource::getName)
                            .containsExactly("Kubernetes//Pod/shop/web-1");
                    client.ack(added);
                }

                int webhookPort = main.webhook().orElseThrow().port();
                String review = """
                        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                         "request": {"uid": "u-1", "operation": "CREATE",
                           "kind": {"group": "security.istio.io", "version": "v1", "kind": "PeerAuthentication"},
                           "namespace": "shop",
                           "object": {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                             "metadata": {"name": "default"}, "spec": {"mtls": {"mode": "STRCT"}}}}}
                        """;
                try (HttpClient https = HttpClient.newBuilder()
                        .sslContext(certificate.trustingClient())
                        .build()) {
                    HttpResponse<String> response = https.send(
                            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + webhookPort + "/validate"))
                                    .POST(HttpRequest.BodyPublishers.ofString(review))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(response.statusCode()).isEqualTo(200);
                    AdmissionReview answer = new ObjectMapper().readValue(response.body(), AdmissionReview.class);
                    assertThat(answer.getResponse().getUid()).isEqualTo("u-1");
                    assertThat(answer.getResponse().getAllowed()).isFalse();
                    assertThat(answer.getResponse().getStatus().getMessage())
                            .contains("PeerAuthentication shop/default: spec.mtls.mode: unknown value 'STRCT'");
                }

                // The CA on the Kubernetes source: the bearer token is checked with a TokenReview.
                api.server()
                        .expect()
                        .post()
                        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                        .andReturn(
                                201,
                                new TokenReviewBuilder()
                                        .withNewStatus()
                                        .withAuthenticated(true)
                                        .withAudiences("istio-ca")
                                        .withNewUser()
                                        .withUsername("system:serviceaccount:shop:web")
                                        .endUser()
                                        .endStatus()
                                        .build())
                        .once();
                api.server()
                        .expect()
                        .post()
                        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                        .andReturn(
                                201,
                                new TokenReviewBuilder()
                                        .withNewStatus()
                                        .withAuthenticated(false)
                                        .withError("token has expired")
                                        .endStatus()
                                        .build())
                        .once();
                SpiffeId web = new SpiffeId("cluster.local", "shop", "web");
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.xdsPort())
                        .usePlaintext()
                        .build();
                try {
                    IstioCertificateResponse issued = certificates(channel, "projected-token-of-web")
                            .createCertificate(IstioCertificateRequest.newBuilder()
                                    .setCsr(CsrGenerator.generate(web).csrPem())
                                    .build());
                    assertThat(SpiffeId.fromCertificate(Pem.readCertificate(issued.getCertChain(0))))
                            .isEqualTo(web);
                    assertThatThrownBy(() -> certificates(channel, "expired-token")
                                    .createCertificate(IstioCertificateRequest.newBuilder()
                                            .setCsr(CsrGenerator.generate(web).csrPem())
                                            .build()))
                            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                                assertThat(e.getStatus().getDescription()).contains("token has expired");
                            });
                } finally {
                    channel.shutdownNow();
                }
            } finally {
                main.close();
            }
        }
    }

    private static final String WAYPOINT = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: waypoint, namespace: shop, labels: {istio.io/waypoint-for: service}}
            spec:
              gatewayClassName: istio-waypoint
              listeners:
              - {name: mesh, port: 15008, protocol: HBONE}
            """;

    private IstiodLite startOn(MockApiServer api, String... extra) throws Exception {
        Path kubeconfig = Files.writeString(temp.resolve("kubeconfig"), api.kubeconfig());
        IstiodLite main = new IstiodLite();
        new CommandLine(main)
                .parseArgs(concat(
                        new String[] {
                            "--kubeconfig", kubeconfig.toString(),
                            "--xds-port", "0",
                            "--tls-port", "0",
                            "--tls-address", "127.0.0.1",
                            "--monitoring-port", "-1",
                            "--webhook-port", "-1",
                            "--debounce-ms", "20",
                            "--trust-domain", "mesh.example"
                        },
                        extra));
        main.start();
        return main;
    }

    @Test
    void deploysWaypointsForWaypointGatewaysOnTheKubernetesSource() throws Exception {
        try (MockApiServer api = new MockApiServer();
                KubernetesClient admin = api.newClient()) {
            api.apply(join(ambientNamespace("shop"), WAYPOINT));
            IstiodLite main = startOn(
                    api,
                    "--waypoint-image",
                    "ambient-java/waypoint:dev",
                    "--waypoint-xds-address",
                    "istiod.mesh-control.svc:15012");
            try {
                assertThat(main.waypointDeployments()).isPresent();
                await().atMost(Duration.ofSeconds(15))
                        .until(() -> admin.apps()
                                                .deployments()
                                                .inNamespace("shop")
                                                .withName("waypoint")
                                                .get()
                                        != null
                                && admin.services()
                                                .inNamespace("shop")
                                                .withName("waypoint")
                                                .get()
                                        != null
                                && admin.serviceAccounts()
                                                .inNamespace("shop")
                                                .withName("waypoint")
                                                .get()
                                        != null);
                Container proxy = admin.apps()
                        .deployments()
                        .inNamespace("shop")
                        .withName("waypoint")
                        .get()
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .getFirst();
                assertThat(proxy.getImage()).isEqualTo("ambient-java/waypoint:dev");
                assertThat(proxy.getArgs())
                        .contains(
                                "--xds-address=istiod.mesh-control.svc:15012",
                                "--ca-address=istiod.mesh-control.svc:15012",
                                "--trust-domain=mesh.example",
                                "--namespace=shop",
                                "--gateway=waypoint");

                // the API server allocates the Service's address; the Gateway becomes programmed
                Service service = admin.services()
                        .inNamespace("shop")
                        .withName("waypoint")
                        .get();
                service.getSpec().setClusterIP("198.19.3.4");
                admin.services().inNamespace("shop").resource(service).update();
                await().atMost(Duration.ofSeconds(15)).until(() -> {
                    var status = admin.resources(Gateway.class)
                            .inNamespace("shop")
                            .withName("waypoint")
                            .get()
                            .getStatus();
                    return status != null
                            && status.getConditions().stream()
                                    .anyMatch(c -> c.getType().equals("Programmed")
                                            && c.getStatus().equals("True"))
                            && status.getAddresses().getFirst().getValue().equals("198.19.3.4");
                });
            } finally {
                main.close();
            }
        }
    }

    @Test
    void deployWaypointsFalseDeploysNothing() throws Exception {
        try (MockApiServer api = new MockApiServer();
                KubernetesClient admin = api.newClient()) {
            api.apply(join(ambientNamespace("shop"), WAYPOINT));
            IstiodLite main = startOn(api, "--deploy-waypoints=false");
            try {
                assertThat(main.waypointDeployments()).isEmpty();
                await().during(Duration.ofMillis(700))
                        .atMost(Duration.ofSeconds(3))
                        .until(() -> admin.serviceAccounts()
                                        .inNamespace("shop")
                                        .list()
                                        .getItems()
                                        .isEmpty()
                                && admin.services()
                                        .inNamespace("shop")
                                        .list()
                                        .getItems()
                                        .isEmpty()
                                && admin.apps()
                                        .deployments()
                                        .inNamespace("shop")
                                        .list()
                                        .getItems()
                                        .isEmpty());
                var gateway = admin.resources(Gateway.class)
                        .inNamespace("shop")
                        .withName("waypoint")
                        .get();
                assertThat(gateway.getStatus() == null
                                || gateway.getStatus().getConditions().isEmpty())
                        .isTrue();
            } finally {
                main.close();
            }
        }
    }

    @Test
    void deployWaypointsTakesTrueAndFalse() {
        IstiodLite bare = new IstiodLite();
        new CommandLine(bare).parseArgs("--config-dir", "x", "--deploy-waypoints");
        assertThat(bare.deployWaypoints).isTrue();
        IstiodLite off = new IstiodLite();
        new CommandLine(off).parseArgs("--config-dir", "x", "--deploy-waypoints=false");
        assertThat(off.deployWaypoints).isFalse();
        IstiodLite unset = new IstiodLite();
        new CommandLine(unset).parseArgs("--config-dir", "x");
        assertThat(unset.deployWaypoints).isTrue();
        assertThat(unset.waypointImage).isEqualTo("ambient-java/waypoint:0.1.0-SNAPSHOT");
    }

    @Test
    void publishesTheCaRootInEveryNamespaceOnTheKubernetesSource() throws Exception {
        try (MockApiServer api = new MockApiServer();
                KubernetesClient admin = api.newClient()) {
            api.apply(join(
                    ambientNamespace("shop"),
                    "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n",
                    "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-public}\n"));
            Path caDir = temp.resolve("cacerts");
            IstiodLite main = startOn(api, "--ca-dir", caDir.toString());
            try {
                assertThat(main.rootCertificatePublisher()).isPresent();
                // the root the CA signs with: self-signed, kept in istio-ca-secret (nothing plugged in at --ca-dir)
                String root = caSecretRoot(admin);
                assertThat(caDir.resolve("root-cert.pem")).doesNotExist();
                for (String namespace : new String[] {"shop", "kube-system"}) {
                    await().atMost(Duration.ofSeconds(15)).until(() -> rootCertificate(admin, namespace) != null);
                    ConfigMap configMap = rootCertificate(admin, namespace);
                    assertThat(configMap.getData()).containsExactlyEntriesOf(java.util.Map.of("root-cert.pem", root));
                    assertThat(configMap.getMetadata().getLabels()).containsEntry("istio.io/config", "true");
                }
                assertThat(main.rootCertificatePublisher().orElseThrow().reconcileNow(Duration.ofSeconds(10)))
                        .isTrue();
                assertThat(rootCertificate(admin, "kube-public")).isNull();
            } finally {
                main.close();
            }
            // a restart (or a second replica) signs with the same root: it loads istio-ca-secret
            IstiodLite restarted =
                    startOn(api, "--ca-dir", temp.resolve("cacerts-2").toString());
            try {
                // the first one gave its Lease up (held 1 s more): the restart leads at its next look, within 5 s
                await().atMost(Duration.ofSeconds(15))
                        .until(() -> restarted.rootCertificatePublisher().isPresent());
                assertThat(restarted.rootCertificatePublisher().orElseThrow().reconcileNow(Duration.ofSeconds(10)))
                        .isTrue();
                assertThat(rootCertificate(admin, "shop").getData())
                        .containsExactlyEntriesOf(java.util.Map.of("root-cert.pem", caSecretRoot(admin)));
                assertThat(restarted.rootCertificatePublisher().orElseThrow().writes())
                        .as("the same root: nothing to rewrite")
                        .isZero();
            } finally {
                restarted.close();
            }
        }
    }

    @Test
    @io.ambientjava.testing.RequiresCommand({"curl"})
    void onTheKubernetesSourceTheWebhookHasACertificateFromTheMeshCaAndTheInstalledCaBundle() throws Exception {
        try (MockApiServer api = new MockApiServer();
                KubernetesClient admin = api.newClient()) {
            // the ValidatingWebhookConfiguration exactly as the install applies it: no caBundle
            admin.resource(Files.readString(Path.of("..", "deploy", "daemonset", "base", "istiod", "webhook.yaml")))
                    .create();
            Path kubeconfig = Files.writeString(temp.resolve("kubeconfig"), api.kubeconfig());
            IstiodLite main = new IstiodLite();
            new CommandLine(main)
                    .parseArgs(
                            "--kubeconfig", kubeconfig.toString(),
                            "--xds-port", "0",
                            "--tls-port", "-1",
                            "--tls-address", "127.0.0.1",
                            "--monitoring-port", "-1",
                            "--webhook-port", "0",
                            "--debounce-ms", "20");
            main.start();
            try {
                String root = caSecretRoot(admin);
                String bundle = java.util.Base64.getEncoder()
                        .encodeToString(root.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                await().atMost(Duration.ofSeconds(15))
                        .until(() -> bundle.equals(admin.admissionRegistration()
                                .v1()
                                .validatingWebhookConfigurations()
                                .withName("istio-validator-istio-system")
                                .get()
                                .getWebhooks()
                                .getFirst()
                                .getClientConfig()
                                .getCaBundle()));
                assertThat(main.webhookCaBundlePatcher()).isPresent();

                // what the API server does: trust the caBundle only, call the Service by name
                Path caBundle = Files.writeString(temp.resolve("ca-bundle.pem"), root);
                Path review = Files.writeString(temp.resolve("review.json"), """
                        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                         "request": {"uid": "7f0c2a9e-0000-4000-8000-000000000002", "operation": "CREATE",
                           "kind": {"group": "networking.istio.io", "version": "v1", "kind": "VirtualService"},
                           "namespace": "shop", "name": "reviews",
                           "object": {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                             "metadata": {"name": "reviews", "namespace": "shop"},
                             "spec": {"hosts": ["reviews"], "htpp": [{"route": [{"destination": {"host": "reviews"}}]}]}}}}
                        """);
                int port = main.webhook().orElseThrow().port();
                Process curl = new ProcessBuilder(
                                "curl",
                                "-sS",
                                "--max-time",
                                "10",
                                "--cacert",
                                caBundle.toString(),
                                "--resolve",
                                "istiod.istio-system.svc:" + port + ":127.0.0.1",
                                "-H",
                                "Content-Type: application/json",
                                "--data-binary",
                                "@" + review,
                                "https://istiod.istio-system.svc:" + port + "/validate")
                        .redirectErrorStream(true)
                        .start();
                String output = new String(curl.getInputStream().readAllBytes());
                assertThat(curl.waitFor(15, java.util.concurrent.TimeUnit.SECONDS))
                        .isTrue();
                assertThat(curl.exitValue()).as(output).isZero();
                AdmissionReview answer = new ObjectMapper().readValue(output, AdmissionReview.class);
                assertThat(answer.getResponse().getAllowed()).isFalse();
                assertThat(answer.getResponse().getStatus().getMessage()).contains("unknown field 'htpp'");
            } finally {
                main.close();
            }
        }
    }

    private static String caSecretRoot(KubernetesClient admin) {
        var secret = admin.secrets()
                .inNamespace("istio-system")
                .withName("istio-ca-secret")
                .get();
        assertThat(secret).as("istio-ca-secret").isNotNull();
        return new String(
                java.util.Base64.getDecoder().decode(secret.getData().get("root-cert.pem")),
                java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    void publishRootCertFalsePublishesNothing() throws Exception {
        try (MockApiServer api = new MockApiServer();
                KubernetesClient admin = api.newClient()) {
            api.apply(ambientNamespace("shop"));
            IstiodLite main = startOn(api, "--publish-root-cert=false");
            try {
                assertThat(main.rootCertificatePublisher()).isEmpty();
                await().during(Duration.ofMillis(700))
                        .atMost(Duration.ofSeconds(3))
                        .until(() -> admin.configMaps()
                                .inAnyNamespace()
                                .list()
                                .getItems()
                                .isEmpty());
            } finally {
                main.close();
            }
        }
    }

    @Test
    void publishRootCertTakesTrueAndFalseAndIsOnByDefault() {
        IstiodLite bare = new IstiodLite();
        new CommandLine(bare).parseArgs("--in-cluster", "--publish-root-cert");
        assertThat(bare.publishRootCert).isTrue();
        IstiodLite off = new IstiodLite();
        new CommandLine(off).parseArgs("--in-cluster", "--publish-root-cert=false");
        assertThat(off.publishRootCert).isFalse();
        IstiodLite unset = new IstiodLite();
        new CommandLine(unset).parseArgs("--in-cluster");
        assertThat(unset.publishRootCert).isTrue();
    }

    private static ConfigMap rootCertificate(KubernetesClient admin, String namespace) {
        return admin.configMaps()
                .inNamespace(namespace)
                .withName("istio-ca-root-cert")
                .get();
    }

    private static IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub certificates(
            ManagedChannel channel, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return IstioCertificateServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
}
