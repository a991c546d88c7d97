package io.ambientjava.ztunnel.xds;

import static io.ambientjava.ztunnel.testsupport.InProcessIstiod.CLIENT_0_UID;
import static io.ambientjava.ztunnel.testsupport.InProcessIstiod.WEB_0_UID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.testsupport.InProcessIstiod;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The xDS client against istiod-lite running in-process on a folder of YAML. */
@Timeout(60)
class XdsClientIstiodTest {

    private static final String STRICT = "istio-system/istio_converted_static_strict";
    private static final String EXTRA_POD = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop, labels: {app: web}}
            spec:
              serviceAccountName: web
              nodeName: node-a
              containers: [{name: web, image: web, ports: [{containerPort: 8080}]}]
            status: {phase: Running, podIP: 198.18.1.12}
            """;

    @TempDir
    Path dir;

    private InProcessIstiod istiod;
    private WorkloadStore store;
    private XdsClient client;

    @BeforeEach
    void start() throws Exception {
        istiod = InProcessIstiod.start(dir);
        store = new WorkloadStore();
        client = XdsClient.start(
                XdsClientSettings.of(
                                "127.0.0.1",
                                istiod.port(),
                                new XdsNode("ztunnel-a", "istio-system", "127.0.0.1", "node-a"))
                        .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)),
                store);
        client.initialSync().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (istiod != null) {
            istiod.close();
        }
    }

    @Test
    void initialSyncFillsTheStoreWithWorkloadsServiceAndStrictPolicy() throws Exception {
        StateSnapshot state = store.snapshot();
        assertThat(uids(state)).containsExactlyInAnyOrder(WEB_0_UID, CLIENT_0_UID);
        Workload web = state.workload(WEB_0_UID).orElseThrow();
        assertThat(web.addresses()).containsExactly(InetAddress.getByName("198.18.1.10"));
        assertThat(web.protocol()).isEqualTo(Protocol.HBONE);
        assertThat(web.serviceAccount()).isEqualTo("web");
        assertThat(web.node()).isEqualTo("node-a");
        assertThat(web.authorizationPolicies()).contains(STRICT);

        Service service = state.service(new NamespacedHostname("shop", "web.shop.svc.cluster.local"))
                .orElseThrow();
        assertThat(service.vips())
                .extracting(NetworkAddress::address)
                .containsExactly(InetAddress.getByName("198.19.0.10"));
        assertThat(state.policies()).extracting(Authorization::key).containsExactly(STRICT);

        XdsStatus status = client.status();
        assertThat(status.connected()).isTrue();
        assertThat(status.nacks()).isZero();
        assertThat(status.lastError()).isEmpty();
        assertThat(status.versions().get(XdsTypeUrls.ADDRESS))
                .containsOnlyKeys(WEB_0_UID, CLIENT_0_UID, "shop/web.shop.svc.cluster.local");
        assertThat(status.versions().get(XdsTypeUrls.AUTHORIZATION)).containsOnlyKeys(STRICT);
    }

    @Test
    void addingAPodAddsExactlyThatWorkloadAndDeletingItRemovesIt() throws Exception {
        StateSnapshot before = store.snapshot();
        istiod.write("30-extra.yaml", EXTRA_POD);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> uids(store.snapshot()).contains("Kubernetes//Pod/shop/web-1"));
        StateSnapshot after = store.snapshot();
        assertThat(uids(after)).containsExactlyInAnyOrder(WEB_0_UID, CLIENT_0_UID, "Kubernetes//Pod/shop/web-1");
        assertThat(after.workload(WEB_0_UID)).isEqualTo(before.workload(WEB_0_UID));
        assertThat(after.workload("Kubernetes//Pod/shop/web-1").orElseThrow().addresses())
                .containsExactly(InetAddress.getByName("198.18.1.12"));

        istiod.delete("30-extra.yaml");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !uids(store.snapshot()).contains("Kubernetes//Pod/shop/web-1"));
        assertThat(uids(store.snapshot())).containsExactlyInAnyOrder(WEB_0_UID, CLIENT_0_UID);
        assertThat(client.status().nacks()).isZero();
    }

    @Test
    void keepsTheStateWhileIstiodIsAwayAndResyncsAfterItReturns() throws Exception {
        istiod.write("30-extra.yaml", EXTRA_POD);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> uids(store.snapshot()).contains("Kubernetes//Pod/shop/web-1"));
        StateSnapshot synced = store.snapshot();

        istiod.stop();
        await().atMost(Duration.ofSeconds(15)).until(() -> !client.status().connected());
        assertThat(client.status().lastError())
                .hasValueSatisfying(e -> assertThat(e).contains("ended"));
        Thread.sleep(300); // a few failed reconnects
        assertThat(store.snapshot()).isSameAs(synced);

        // While istiod is away the extra pod goes; the resync must remove it (istiod learns of it from
        // initial_resource_versions) and leave the rest alone.
        java.nio.file.Files.delete(istiod.folder().resolve("30-extra.yaml"));
        istiod.restart();
        await().atMost(Duration.ofSeconds(15)).until(() -> client.status().connected());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !uids(store.snapshot()).contains("Kubernetes//Pod/shop/web-1"));
        assertThat(uids(store.snapshot())).containsExactlyInAnyOrder(WEB_0_UID, CLIENT_0_UID);
        assertThat(store.snapshot().workload(WEB_0_UID)).isEqualTo(synced.workload(WEB_0_UID));
        assertThat(store.snapshot().policies()).extracting(Authorization::key).containsExactly(STRICT);
        assertThat(client.status().connections()).isGreaterThanOrEqualTo(2);
    }

    private static Set<String> uids(StateSnapshot state) {
        return state.workloads().stream().map(Workload::uid).collect(Collectors.toSet());
    }
}
