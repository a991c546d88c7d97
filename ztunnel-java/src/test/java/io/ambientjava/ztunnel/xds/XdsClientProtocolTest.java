package io.ambientjava.ztunnel.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client's side of the Delta ADS protocol, against a server the test drives: node, order, ACK/NACK, resync. */
@Timeout(30)
class XdsClientProtocolTest {

    private static final String A = "Kubernetes//Pod/default/a";
    private static final String B = "Kubernetes//Pod/default/b";

    private FakeAdsServer server;
    private WorkloadStore store;
    private XdsClient client;

    @BeforeEach
    void start() throws Exception {
        server = new FakeAdsServer();
        store = new WorkloadStore();
        client = XdsClient.start(
                XdsClientSettings.of(
                                "127.0.0.1",
                                server.port(),
                                new XdsNode("ztunnel-x", "istio-system", "127.0.0.1", "node-a"))
                        .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100)),
                store);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void subscribesWildcardToAddressesThenAuthorizationsWithUpstreamNodeIdentity() throws Exception {
        DeltaDiscoveryRequest first = server.next().request();
        DeltaDiscoveryRequest second = server.next().request();
        assertThat(first.getTypeUrl()).isEqualTo(XdsTypeUrls.ADDRESS);
        assertThat(second.getTypeUrl()).isEqualTo(XdsTypeUrls.AUTHORIZATION);
        for (DeltaDiscoveryRequest request : new DeltaDiscoveryRequest[] {first, second}) {
            assertThat(request.getResourceNamesSubscribeList()).isEmpty(); // wildcard
            assertThat(request.getInitialResourceVersionsMap()).isEmpty();
            assertThat(request.getResponseNonce()).isEmpty();
            assertThat(request.getNode().getId())
                    .isEqualTo("ztunnel~127.0.0.1~ztunnel-x.istio-system~istio-system.svc.cluster.local");
            assertThat(request.getNode().getMetadata().getFieldsMap())
                    .containsOnlyKeys("NAME", "NAMESPACE", "INSTANCE_IPS", "NODE_NAME");
            assertThat(request.getNode()
                            .getMetadata()
                            .getFieldsOrThrow("NODE_NAME")
                            .getStringValue())
                    .isEqualTo("node-a");
        }
    }

    @Test
    void nacksABadResourceNamingItsFieldAppliesTheGoodOnesAndKeepsThePreviousVersion() throws Exception {
        skipSubscriptions();
        server.send(addresses("1", workload(A, "198.18.0.1"), workload(B, "198.18.0.2")));
        DeltaDiscoveryRequest ack = server.next().request();
        assertThat(ack.getResponseNonce()).isEqualTo("1");
        assertThat(ack.hasErrorDetail()).isFalse();
        assertThat(store.snapshot().workloads()).hasSize(2);

        // A's new version carries a 5-byte address; B moves. A keeps its old state, B's change is applied.
        Resource badA = resource(
                A,
                "v2",
                Workload.newBuilder()
                        .setUid(A)
                        .setName("a")
                        .setNamespace("default")
                        .addAddresses(ByteString.copyFrom(new byte[5]))
                        .build());
        server.send(addresses("2", badA, workload(B, "198.18.0.3")));
        DeltaDiscoveryRequest nack = server.next().request();
        assertThat(nack.getResponseNonce()).isEqualTo("2");
        assertThat(nack.getTypeUrl()).isEqualTo(XdsTypeUrls.ADDRESS);
        assertThat(nack.hasErrorDetail()).isTrue();
        assertThat(nack.getErrorDetail().getCode()).isNotZero();
        assertThat(nack.getErrorDetail().getMessage()).contains(A).contains("addresses[0]");

        assertThat(store.snapshot().workload(A).orElseThrow().addresses())
                .containsExactly(InetAddress.getByName("198.18.0.1"));
        assertThat(store.snapshot().workload(B).orElseThrow().addresses())
                .containsExactly(InetAddress.getByName("198.18.0.3"));
        XdsStatus status = client.status();
        assertThat(status.nacks()).isEqualTo(1);
        assertThat(status.lastError())
                .hasValueSatisfying(e -> assertThat(e).contains("NACK").contains(A));
        assertThat(status.versions().get(XdsTypeUrls.ADDRESS))
                .containsEntry(A, "v1")
                .containsEntry(B, "v2");
    }

    @Test
    void aResourceThatIsNotAnAddressIsRejectedByName() throws Exception {
        skipSubscriptions();
        server.send(DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(XdsTypeUrls.ADDRESS)
                .setNonce("1")
                .addResources(Resource.newBuilder()
                        .setName("odd")
                        .setResource(Any.newBuilder()
                                .setTypeUrl(XdsTypeUrls.AUTHORIZATION)
                                .setValue(ByteString.EMPTY)))
                .addResources(Resource.newBuilder().setName("empty"))
                .build());
        DeltaDiscoveryRequest nack = server.next().request();
        assertThat(nack.getErrorDetail().getMessage())
                .contains("'odd'")
                .contains("resource.type_url")
                .contains("'empty'")
                .contains("no body");
        assertThat(store.snapshot().workloads()).isEmpty();
    }

    @Test
    void removalsRemoveAndAreAcked() throws Exception {
        skipSubscriptions();
        server.send(addresses("1", workload(A, "198.18.0.1"), workload(B, "198.18.0.2")));
        server.next();
        server.send(DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(XdsTypeUrls.ADDRESS)
                .setNonce("2")
                .addRemovedResources(A)
                .build());
        DeltaDiscoveryRequest ack = server.next().request();
        assertThat(ack.hasErrorDetail()).isFalse();
        assertThat(store.snapshot().workload(A)).isEmpty();
        assertThat(store.snapshot().workload(B)).isPresent();
    }

    @Test
    void reconnectsAfterTheStreamFailsReportingWhatItHoldsAndKeepsServingMeanwhile() throws Exception {
        skipSubscriptions();
        server.send(addresses("1", workload(A, "198.18.0.1"), workload(B, "198.18.0.2")));
        server.next();
        var before = store.snapshot();

        server.failStream();
        FakeAdsServer.Received resubscribe = server.next();
        assertThat(resubscribe.stream()).isEqualTo(2);
        assertThat(resubscribe.request().getTypeUrl()).isEqualTo(XdsTypeUrls.ADDRESS);
        assertThat(resubscribe.request().getInitialResourceVersionsMap()).isEqualTo(Map.of(A, "v1", B, "v1"));
        assertThat(server.next().request().getTypeUrl()).isEqualTo(XdsTypeUrls.AUTHORIZATION);
        assertThat(store.snapshot()).isSameAs(before);
        assertThat(client.status().lastError())
                .hasValueSatisfying(e -> assertThat(e).contains("UNAVAILABLE").contains("control plane restarting"));

        server.send(DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(XdsTypeUrls.ADDRESS)
                .setNonce("1")
                .addRemovedResources(B)
                .build());
        server.next();
        await().until(() -> client.status().connected());
        assertThat(store.snapshot().workload(B)).isEmpty();
        assertThat(client.status().connections()).isEqualTo(2);
    }

    private void skipSubscriptions() throws InterruptedException {
        server.next();
        server.next();
    }

    private static DeltaDiscoveryResponse addresses(String nonce, Resource... resources) {
        DeltaDiscoveryResponse.Builder response = DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(XdsTypeUrls.ADDRESS)
                .setNonce(nonce);
        for (Resource resource : resources) {
            response.addResources(resource);
        }
        return response.build();
    }

    private static Resource workload(String uid, String ip) throws Exception {
        String version = ip.endsWith(".3") ? "v2" : "v1";
        return resource(
                uid,
                version,
                Workload.newBuilder()
                        .setUid(uid)
                        .setName(uid.substring(uid.lastIndexOf('/') + 1))
                        .setNamespace("default")
                        .addAddresses(
                                ByteString.copyFrom(InetAddress.getByName(ip).getAddress()))
                        .build());
    }

    private static Resource resource(String name, String version, Workload workload) {
        return Resource.newBuilder()
                .setName(name)
                .setVersion(version)
                .setResource(Any.newBuilder()
                        .setTypeUrl(XdsTypeUrls.ADDRESS)
                        .setValue(Address.newBuilder()
                                .setWorkload(workload)
                                .build()
                                .toByteString()))
                .build();
    }
}
