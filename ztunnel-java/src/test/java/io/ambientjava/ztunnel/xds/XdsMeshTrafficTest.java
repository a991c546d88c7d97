package io.ambientjava.ztunnel.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.EchoServer;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.caclient.CaClientSettings;
import io.ambientjava.ztunnel.caclient.IstiodCertificateProvider;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import io.ambientjava.ztunnel.testsupport.InPodRedirection;
import io.ambientjava.ztunnel.testsupport.InProcessIstiod;
import io.ambientjava.ztunnel.testsupport.RecordingObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole control path for real: istiod-lite (in-process) serves the pods of a two-node network-namespace
 * topology; each node's ztunnel takes its state from workload xDS and its certificates from istiod-lite's CA (with
 * its node's token), and carries pod-to-pod traffic over HBONE between the nodes under mesh-wide STRICT mTLS.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft"})
@Timeout(90)
class XdsMeshTrafficTest {

    private static final SpiffeId CLIENT = new SpiffeId("cluster.local", "default", "client");
    private static final SpiffeId SERVER = new SpiffeId("cluster.local", "default", "server");

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.withNodes(2);

    @TempDir
    Path dir;

    private InProcessIstiod istiod;

    @AfterEach
    void stopIstiod() {
        if (istiod != null) {
            istiod.close();
        }
    }

    @Test
    void podToPodAcrossNodesWithStateAndCertificatesFromIstiodLite() throws Exception {
        Pod client = net.node(1).addPod("client");
        Pod server = net.node(2).addPod("server");
        Pod outside = net.node(1).addPod("outside");
        InPodRedirection.install(client);
        InPodRedirection.install(server);
        istiod = InProcessIstiod.start(dir, """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: default
                  labels: {istio.io/dataplane-mode: ambient}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: istio-system}
                ---
                %s
                ---
                %s
                ---
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: istio-system}
                spec:
                  mtls: {mode: STRICT}
                """.formatted(podYaml(client, "client"), podYaml(server, "server")));

        RecordingObserver serverSide = new RecordingObserver();
        ZtunnelRuntime node1 = ztunnel(client, new RecordingObserver());
        ZtunnelRuntime node2 = ztunnel(server, serverSide);
        node1.addPod(TestMesh.uid("default", "client"), NetworkNamespace.open(client.netnsPath()))
                .get(10, TimeUnit.SECONDS);
        node2.addPod(TestMesh.uid("default", "server"), NetworkNamespace.open(server.netnsPath()))
                .get(10, TimeUnit.SECONDS);
        EchoServer echo = server.startEchoServer(8080);

        byte[] reply = TestMesh.exchange(client, server.address(8080), "hello".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(echo.clients())
                .singleElement()
                .satisfies(c -> assertThat(c.getAddress()).isEqualTo(client.ip()));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(serverSide.closed()).isNotEmpty());
        assertThat(serverSide.closed()).singleElement().satisfies(c -> {
            assertThat(c.info().reporter()).isEqualTo(Reporter.DESTINATION);
            assertThat(c.info().sourceIdentity()).contains(CLIENT);
            assertThat(c.info().destinationIdentity()).contains(SERVER);
            assertThat(c.info().securityPolicy()).isEqualTo(SecurityPolicy.MUTUAL_TLS);
        });

        // STRICT (istiod's converted PeerAuthentication, delivered by xDS): plaintext from outside the mesh is refused.
        try (Socket plain = outside.connect(server.address(8080))) {
            plain.setSoTimeout(5_000);
            plain.getOutputStream().write(1);
            assertThat(plain.getInputStream().read()).isEqualTo(-1);
        } catch (java.io.IOException refused) {
            // a reset is a refusal too
        }
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(serverSide.refused()).isNotEmpty());
    }

    /**
     * A Service's routing preference from istiod-lite, kept by the calling node's ztunnel: with
     * {@code internalTrafficPolicy: Local} only the endpoint on the caller's node serves it; with
     * {@code trafficDistribution: PreferClose} the endpoint in the caller's zone (from the Node objects' topology
     * labels) does, while the other one serves the same client by its own address.
     */
    @Test
    void aServicesRoutingPreferenceKeepsTrafficOnTheCallersNodeOrZone() throws Exception {
        Pod client = net.node(1).addPod("client");
        Pod near = net.node(1).addPod("near");
        Pod far = net.node(2).addPod("far");
        for (Pod pod : List.of(client, near, far)) {
            InPodRedirection.install(pod);
        }
        istiod = InProcessIstiod.start(dir, """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: default
                  labels: {istio.io/dataplane-mode: ambient}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: %s, labels: {topology.kubernetes.io/region: eu, topology.kubernetes.io/zone: eu-a}}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: %s, labels: {topology.kubernetes.io/region: eu, topology.kubernetes.io/zone: eu-b}}
                ---
                %s
                ---
                %s
                ---
                %s
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: local-only, namespace: default}
                spec:
                  clusterIP: 198.19.0.41
                  internalTrafficPolicy: Local
                  selector: {app: echo}
                  ports: [{name: tcp, port: 80, targetPort: 8080}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: close-by, namespace: default}
                spec:
                  clusterIP: 198.19.0.42
                  trafficDistribution: PreferClose
                  selector: {app: echo}
                  ports: [{name: tcp, port: 80, targetPort: 8080}]
                """.formatted(
                client.node().name(),
                far.node().name(),
                podYaml(client, "client"),
                podYaml(near, "server").replace("namespace: default}", "namespace: default, labels: {app: echo}}"),
                podYaml(far, "server").replace("namespace: default}", "namespace: default, labels: {app: echo}}")));
        ZtunnelRuntime node1 = ztunnel(client, new RecordingObserver());
        ZtunnelRuntime node2 = ztunnel(far, new RecordingObserver());
        for (Pod pod : List.of(client, near)) {
            node1.addPod(TestMesh.uid("default", pod.name()), NetworkNamespace.open(pod.netnsPath()))
                    .get(10, TimeUnit.SECONDS);
        }
        node2.addPod(TestMesh.uid("default", far.name()), NetworkNamespace.open(far.netnsPath()))
                .get(10, TimeUnit.SECONDS);
        EchoServer nearEcho = near.startEchoServer(8080);
        EchoServer farEcho = far.startEchoServer(8080);

        for (String vip : List.of("198.19.0.41", "198.19.0.42")) {
            for (int i = 0; i < 6; i++) {
                byte[] reply = TestMesh.exchange(
                        client, new InetSocketAddress(vip, 80), "hi".getBytes(StandardCharsets.UTF_8));
                assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("hi");
            }
        }
        assertThat(nearEcho.clients()).hasSize(12);
        assertThat(farEcho.clients()).isEmpty();

        // the far endpoint is healthy and reachable: only the preference kept it out
        TestMesh.exchange(client, far.address(8080), "hi".getBytes(StandardCharsets.UTF_8));
        assertThat(farEcho.clients()).hasSize(1);
    }

    /**
     * A ServiceEntry with {@code resolution: NONE} for a host outside the mesh: the client's call to its address
     * still goes there, and ztunnel now knows it as that entry's service (its telemetry names it).
     */
    @Test
    void aNoneServiceEntryPassesCallsToTheirAddressAsItsService() throws Exception {
        Pod client = net.node(1).addPod("client");
        Pod outside = net.node(1).addPod("outside");
        InPodRedirection.install(client);
        istiod = InProcessIstiod.start(
                dir, """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: default
                  labels: {istio.io/dataplane-mode: ambient}
                ---
                %s
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: legacy, namespace: default}
                spec:
                  hosts: [legacy.example.com]
                  addresses: [%s]
                  ports: [{number: 5432, name: tcp, protocol: TCP}]
                  location: MESH_EXTERNAL
                  resolution: NONE
                """.formatted(podYaml(client, "client"), outside.ip().getHostAddress()));
        RecordingObserver clientSide = new RecordingObserver();
        ZtunnelRuntime node1 = ztunnel(client, clientSide);
        node1.addPod(TestMesh.uid("default", "client"), NetworkNamespace.open(client.netnsPath()))
                .get(10, TimeUnit.SECONDS);
        EchoServer echo = outside.startEchoServer(5432);

        byte[] reply = TestMesh.exchange(client, outside.address(5432), "sql".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("sql");
        assertThat(echo.clients()).hasSize(1);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(clientSide.closed()).isNotEmpty());
        assertThat(clientSide.closed())
                .singleElement()
                .satisfies(c -> assertThat(c.info().destinationService())
                        .map(s -> s.hostname())
                        .contains("legacy.example.com"));
    }

    private ZtunnelRuntime ztunnel(Pod pod, RecordingObserver observer) throws Exception {
        String node = pod.node().name();
        WorkloadStore store = new WorkloadStore();
        XdsClient xds = XdsClient.start(
                XdsClientSettings.of(
                        "127.0.0.1", istiod.port(), new XdsNode("ztunnel-" + node, "istio-system", "127.0.0.1", node)),
                store);
        net.onTeardown(xds);
        xds.initialSync().get(10, TimeUnit.SECONDS);
        Path token = Files.writeString(dir.resolve(node + ".token"), InProcessIstiod.tokenFor(node));
        IstiodCertificateProvider certificates = net.onTeardown(
                IstiodCertificateProvider.create(CaClientSettings.of("127.0.0.1", istiod.port(), token)));
        ZtunnelRuntimeConfig config = ZtunnelRuntimeConfig.of(node, "cluster.local", store, certificates, observer)
                .withDrainTimeout(Duration.ofMillis(500))
                .withConnectTimeout(Duration.ofSeconds(3));
        return net.onTeardown(ZtunnelRuntime.start(config));
    }

    private static String podYaml(Pod pod, String serviceAccount) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: default}
                spec:
                  serviceAccountName: %s
                  nodeName: %s
                  containers: [{name: app, image: app}]
                status: {phase: Running, podIP: %s}
                """.formatted(
                        pod.name(), serviceAccount, pod.node().name(), pod.ip().getHostAddress());
    }
}
