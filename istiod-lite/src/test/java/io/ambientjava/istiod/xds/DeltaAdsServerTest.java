package io.ambientjava.istiod.xds;

import static io.ambientjava.istiod.testsupport.Configs.ambientNamespace;
import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.workload.Address;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.server.IstiodServer;
import io.ambientjava.istiod.testsupport.Configs;
import io.ambientjava.istiod.testsupport.MutableConfigSource;
import io.ambientjava.istiod.testsupport.XdsTestClient;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeltaAdsServerTest {

    private static final String SERVICE = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec: {clusterIP: 198.19.0.10, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
            """;
    private static final String STRICT = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec: {mtls: {mode: STRICT}}
            """;
    private static final String WEB_0 = pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web");
    private static final String WEB_1 = pod("shop", "web-1", "198.18.1.6", "web", "node-b", "app=web");
    private static final String UID_0 = "Kubernetes//Pod/shop/web-0";
    private static final String UID_1 = "Kubernetes//Pod/shop/web-1";
    private static final String SERVICE_NAME = "shop/web.shop.svc.cluster.local";

    private static MeshCertificateAuthority ca;
    private MutableConfigSource source;
    private IstiodServer server;

    @BeforeAll
    static void createCa() {
        ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
    }

    @AfterAll
    static void dropCa() {
        ca = null;
    }

    @BeforeEach
    void startServer() {
        source = new MutableConfigSource(join(ambientNamespace("shop"), SERVICE, STRICT, WEB_0));
        server = IstiodServer.builder(source, ca)
                .xdsPort(0)
                .debounce(Duration.ofMillis(20))
                .start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void initialSyncSendsEverySubscribedResourceWithVersionsAndANonce() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), "ztunnel~198.18.0.2~ztunnel-a.istio-system")) {
            client.subscribe(TypeUrls.ADDRESS);
            DeltaDiscoveryResponse addresses = client.next();
            assertThat(addresses.getTypeUrl()).isEqualTo(TypeUrls.ADDRESS);
            assertThat(addresses.getNonce()).isNotEmpty();
            assertThat(addresses.getRemovedResourcesList()).isEmpty();
            assertThat(addresses.getResourcesList())
                    .extracting(Resource::getName)
                    .containsExactly(UID_0, SERVICE_NAME);
            Address workload = addresses.getResources(0).getResource().unpack(Address.class);
            assertThat(workload.getWorkload().getUid()).isEqualTo(UID_0);
            assertThat(addresses.getResources(0).getVersion()).isNotEmpty();
            client.ack(addresses);

            client.subscribe(TypeUrls.AUTHORIZATION);
            DeltaDiscoveryResponse policies = client.next();
            assertThat(policies.getTypeUrl()).isEqualTo(TypeUrls.AUTHORIZATION);
            assertThat(policies.getResourcesList())
                    .extracting(Resource::getName)
                    .containsExactly("istio-system/istio_converted_static_strict");
            assertThat(policies.getResources(0)
                            .getResource()
                            .unpack(Authorization.class)
                            .getName())
                    .isEqualTo("istio_converted_static_strict");
            client.ack(policies);

            await().atMost(Duration.ofSeconds(5))
                    .until(() -> server.ads().clients().size() == 1
                            && server.ads().clients().getFirst().ackedVersions().size() == 2);
            assertThat(server.ads().clients().getFirst().nodeId()).startsWith("ztunnel~");
        }
    }

    @Test
    void addingAndRemovingAPodSendsOnlyThatAddress() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
            client.subscribe(TypeUrls.ADDRESS);
            client.ack(client.next());

            source.set(join(ambientNamespace("shop"), SERVICE, STRICT, WEB_0, WEB_1));
            DeltaDiscoveryResponse added = client.next();
            assertThat(added.getResourcesList()).extracting(Resource::getName).containsExactly(UID_1);
            assertThat(added.getRemovedResourcesList()).isEmpty();
            client.ack(added);

            source.set(join(ambientNamespace("shop"), SERVICE, STRICT, WEB_1));
            DeltaDiscoveryResponse removed = client.next();
            assertThat(removed.getResourcesList()).isEmpty();
            assertThat(removed.getRemovedResourcesList()).containsExactly(UID_0);
            client.ack(removed);

            client.expectSilence(Duration.ofMillis(200));
        }
    }

    @Test
    void aBurstOfChangesBecomesOneDelta() throws Exception {
        List<ConfigSnapshot> burst = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            burst.add(Configs.snapshot(
                    10 + i,
                    join(
                            ambientNamespace("shop"),
                            SERVICE,
                            STRICT,
                            WEB_0,
                            pod("shop", "web-1", "198.18.1." + (10 + i), "web", "node-b", "app=web"))));
        }
        try (IstiodServer slow = IstiodServer.builder(source, ca)
                        .xdsPort(0)
                        .debounce(Duration.ofMillis(250))
                        .start();
                XdsTestClient client = new XdsTestClient(slow.xdsPort(), "ztunnel-a")) {
            client.subscribe(TypeUrls.ADDRESS);
            client.ack(client.next());
            burst.forEach(source::publish);
            DeltaDiscoveryResponse delta = client.next();
            assertThat(delta.getResourcesList()).extracting(Resource::getName).containsExactly(UID_1);
            assertThat(delta.getResources(0)
                            .getResource()
                            .unpack(Address.class)
                            .getWorkload()
                            .getAddresses(0)
                            .byteAt(3))
                    .isEqualTo((byte) 19);
            client.ack(delta);
            client.expectSilence(Duration.ofMillis(400));
        }
    }

    @Test
    void nackIsCountedAndTheClientKeepsItsLastAcceptedVersions() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
            client.subscribe(TypeUrls.ADDRESS);
            DeltaDiscoveryResponse initial = client.next();
            Map<String, String> accepted = XdsTestClient.versions(initial);
            client.ack(initial);

            source.set(join(
                    ambientNamespace("shop"),
                    SERVICE,
                    STRICT,
                    pod("shop", "web-0", "198.18.1.99", "web", "node-a", "app=web")));
            DeltaDiscoveryResponse changed = client.next();
            assertThat(changed.getResourcesList()).extracting(Resource::getName).containsExactly(UID_0);
            client.nack(changed, "cannot apply workload: test rejection");

            await().atMost(Duration.ofSeconds(5)).until(() -> server.ads().rejects(TypeUrls.ADDRESS) == 1.0);
            assertThat(server.ads().clients().getFirst().ackedVersions().get(TypeUrls.ADDRESS))
                    .isEqualTo(accepted);

            // The next change is computed against what the client accepted, so the rejected update comes again.
            source.set(join(
                    ambientNamespace("shop"),
                    SERVICE,
                    STRICT,
                    pod("shop", "web-0", "198.18.1.99", "web", "node-a", "app=web"),
                    WEB_1));
            DeltaDiscoveryResponse next = client.next();
            assertThat(next.getResourcesList()).extracting(Resource::getName).containsExactly(UID_0, UID_1);
            client.ack(next);
        }
    }

    @Test
    void aNackWithoutStatusCodeAsUpstreamZtunnelSendsItIsStillANack() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
            client.subscribe(TypeUrls.ADDRESS);
            DeltaDiscoveryResponse initial = client.next();
            Map<String, String> accepted = XdsTestClient.versions(initial);
            client.ack(initial);

            source.set(join(
                    ambientNamespace("shop"),
                    SERVICE,
                    STRICT,
                    pod("shop", "web-0", "198.18.1.99", "web", "node-a", "app=web")));
            client.nack(client.next(), "workload: addresses[0]: 5 bytes is not an IP address", 0);

            await().atMost(Duration.ofSeconds(5)).until(() -> server.ads().rejects(TypeUrls.ADDRESS) == 1.0);
            assertThat(server.ads().clients().getFirst().ackedVersions().get(TypeUrls.ADDRESS))
                    .isEqualTo(accepted);
        }
    }

    @Test
    void reconnectWithInitialVersionsGetsOnlyChangesAndRemovals() throws Exception {
        Map<String, String> held;
        try (XdsTestClient first = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
            first.subscribe(TypeUrls.ADDRESS);
            DeltaDiscoveryResponse initial = first.next();
            held = new HashMap<>(XdsTestClient.versions(initial));
            first.ack(initial);
        }
        source.set(join(
                ambientNamespace("shop"),
                SERVICE,
                STRICT,
                pod("shop", "web-0", "198.18.1.77", "web", "node-a", "app=web")));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !server.cache()
                        .current()
                        .of(TypeUrls.ADDRESS)
                        .get(UID_0)
                        .version()
                        .equals(held.get(UID_0)));
        held.put("Kubernetes//Pod/shop/gone", "0123456789abcdef");
        try (XdsTestClient second = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
            second.subscribe(TypeUrls.ADDRESS, held);
            DeltaDiscoveryResponse resumed = second.next();
            assertThat(resumed.getResourcesList()).extracting(Resource::getName).containsExactly(UID_0);
            assertThat(resumed.getRemovedResourcesList()).containsExactly("Kubernetes//Pod/shop/gone");
        }
    }

    @Test
    void reconnectWithNothingChangedGetsAnEmptyResponseToConfirmTheSync() throws Exception {
        Map<String, String> held;
        try (XdsTestClient first = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
            first.subscribe(TypeUrls.ADDRESS);
            held = XdsTestClient.versions(first.next());
        }
        try (XdsTestClient second = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
            second.subscribe(TypeUrls.ADDRESS, held);
            DeltaDiscoveryResponse resumed = second.next();
            assertThat(resumed.getResourcesList()).isEmpty();
            assertThat(resumed.getRemovedResourcesList()).isEmpty();
            assertThat(resumed.getNonce()).isNotEmpty();
        }
    }

    @Test
    void explicitSubscriptionsReceiveOnlyTheNamedResources() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), "ztunnel-a")) {
            client.send(DeltaDiscoveryRequest.newBuilder()
                    .setTypeUrl(TypeUrls.ADDRESS)
                    .addResourceNamesSubscribe(SERVICE_NAME)
                    .build());
            DeltaDiscoveryResponse response = client.next();
            assertThat(response.getResourcesList())
                    .extracting(Resource::getName)
                    .containsExactly(SERVICE_NAME);
            client.ack(response);
            source.set(join(ambientNamespace("shop"), SERVICE, STRICT, WEB_0, WEB_1));
            client.expectSilence(Duration.ofMillis(300));
        }
    }

    @Test
    void unsupportedTypeEndsTheStreamWithInvalidArgument() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), "envoy")) {
            client.subscribe("type.googleapis.com/envoy.config.cluster.v3.Cluster");
            Throwable error = client.awaitClosed();
            assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(Status.fromThrowable(error).getDescription()).contains("envoy.config.cluster.v3.Cluster");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.ads().clients().isEmpty());
    }
}
