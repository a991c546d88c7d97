package io.ambientjava.istiod.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.server.IstiodServer;
import io.ambientjava.istiod.testsupport.MutableConfigSource;
import io.ambientjava.istiod.testsupport.XdsTestClient;
import io.ambientjava.istiod.translate.envoy.BookinfoMeshAccess;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Waypoints and gateways over a real gRPC Delta ADS stream: their own Envoy resources, deltas, ACK and NACK. */
class WaypointXdsServerTest {

    private static final String REVIEWS = "reviews.default.svc.cluster.local";
    private static final String REVIEWS_ROUTE = REVIEWS + ":9080";
    private static final String SPLIT = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: %d}
                - {destination: {host: reviews, subset: v2}, weight: %d}
            """;

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
        source = new MutableConfigSource();
        source.publish(mesh(75, 25));
        server = IstiodServer.builder(source, ca)
                .xdsPort(0)
                .debounce(Duration.ofMillis(20))
                .start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private static ConfigSnapshot mesh(int v1, int v2) {
        return BookinfoMeshAccess.with(
                SPLIT.formatted(v1, v2), BookinfoMeshAccess.seed("03-gateway-bookinfo-gateway.yaml"));
    }

    private static Node waypointNode() {
        return Node.newBuilder()
                .setId("waypoint~198.19.0.2~waypoint-0.default~default.svc.cluster.local")
                .setMetadata(Struct.newBuilder()
                        .putFields("NAMESPACE", text("default"))
                        .putFields("SERVICE_ACCOUNT", text("waypoint"))
                        .putFields("NAME", text("waypoint-0"))
                        .putFields("WAYPOINT", text("waypoint"))
                        .putFields("CLUSTER_ID", text("Kubernetes")))
                .build();
    }

    private static Value text(String value) {
        return Value.newBuilder().setStringValue(value).build();
    }

    /** Subscribes to the four Envoy types (wildcard) and ACKs each answer; returns the answers by type. */
    private static Map<String, DeltaDiscoveryResponse> syncAll(XdsTestClient client) throws InterruptedException {
        Map<String, DeltaDiscoveryResponse> byType = new HashMap<>();
        for (String type : TypeUrls.ENVOY_TYPES) {
            client.subscribe(type);
            DeltaDiscoveryResponse response = client.next();
            assertThat(response.getTypeUrl()).isEqualTo(type);
            byType.put(type, response);
            client.ack(response);
        }
        return byType;
    }

    private static List<String> names(DeltaDiscoveryResponse response) {
        return response.getResourcesList().stream().map(Resource::getName).toList();
    }

    @Test
    void aWaypointGetsExactlyItsResourcesThenOnlyTheChangedRoute() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), waypointNode())) {
            Map<String, DeltaDiscoveryResponse> initial = syncAll(client);
            assertThat(names(initial.get(TypeUrls.LISTENER)))
                    .containsExactlyInAnyOrder(
                            "inbound-vip|9080|http|" + REVIEWS,
                            "inbound-vip|9080|http|ratings.default.svc.cluster.local",
                            "inbound-vip|8080|http|product-api.default.svc.cluster.local");
            assertThat(names(initial.get(TypeUrls.ROUTE))).hasSize(3).contains(REVIEWS_ROUTE);
            assertThat(names(initial.get(TypeUrls.CLUSTER))).hasSize(12).contains("outbound|9080|v1|" + REVIEWS);
            assertThat(names(initial.get(TypeUrls.ENDPOINT))).hasSize(12);
            // Nothing of the ingress gateway reaches the waypoint.
            assertThat(names(initial.get(TypeUrls.LISTENER))).doesNotContain("0.0.0.0_80");
            Listener listener =
                    initial.get(TypeUrls.LISTENER).getResources(0).getResource().unpack(Listener.class);
            assertThat(listener.getName()).startsWith("inbound-vip|");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> server.ads().clients().size() == 1
                            && server.ads().clients().getFirst().ackedVersions().size() == 4);
            assertThat(server.ads().clients().getFirst().proxy()).isEqualTo("waypoint/default/waypoint");

            source.publish(mesh(50, 50));
            DeltaDiscoveryResponse delta = client.next();
            assertThat(delta.getTypeUrl()).isEqualTo(TypeUrls.ROUTE);
            assertThat(names(delta)).containsExactly(REVIEWS_ROUTE);
            assertThat(delta.getRemovedResourcesList()).isEmpty();
            RouteConfiguration routes = delta.getResources(0).getResource().unpack(RouteConfiguration.class);
            assertThat(routes.getVirtualHosts(0)
                            .getRoutes(0)
                            .getRoute()
                            .getWeightedClusters()
                            .getClusters(0)
                            .getWeight()
                            .getValue())
                    .isEqualTo(50);
            client.ack(delta);
            client.expectSilence(Duration.ofMillis(300));
        }
    }

    @Test
    void aWaypointForAllTrafficAlsoGetsThePodListenerItsRouteAndThePassthroughCluster() throws Exception {
        String allTraffic = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: istio-waypoint, labels: {istio.io/waypoint-for: all}}
                spec: {controllerName: istio.io/mesh-controller}
                """;
        // A server started with it, so the first answer already holds the pods' listener.
        server.close();
        source = new MutableConfigSource();
        source.publish(BookinfoMeshAccess.with(
                SPLIT.formatted(75, 25), BookinfoMeshAccess.seed("03-gateway-bookinfo-gateway.yaml"), allTraffic));
        server = IstiodServer.builder(source, ca)
                .xdsPort(0)
                .debounce(Duration.ofMillis(20))
                .start();
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), waypointNode())) {
            Map<String, DeltaDiscoveryResponse> initial = syncAll(client);
            assertThat(names(initial.get(TypeUrls.LISTENER))).hasSize(4).contains("inbound-pod");
            assertThat(names(initial.get(TypeUrls.ROUTE))).hasSize(4).contains("inbound-pod");
            assertThat(names(initial.get(TypeUrls.CLUSTER))).hasSize(13).contains("inbound-pod|passthrough");
            assertThat(names(initial.get(TypeUrls.ENDPOINT))).hasSize(12).doesNotContain("inbound-pod|passthrough");
            Listener pods = initial.get(TypeUrls.LISTENER).getResourcesList().stream()
                    .filter(r -> r.getName().equals("inbound-pod"))
                    .findFirst()
                    .orElseThrow()
                    .getResource()
                    .unpack(Listener.class);
            assertThat(pods.getFilterChainsList())
                    .as("the nine Bookinfo pods, each at one IP")
                    .hasSize(9)
                    .first()
                    .satisfies(chain -> assertThat(chain.getName()).isEqualTo("inbound-pod|198.18.1.10"));
        }
    }

    @Test
    void aVirtualServiceChangeReachesNoZtunnelAndAPolicyChangeNoWaypoint() throws Exception {
        try (XdsTestClient waypoint = new XdsTestClient(server.xdsPort(), waypointNode());
                XdsTestClient ztunnel =
                        new XdsTestClient(server.xdsPort(), "ztunnel~198.18.0.2~ztunnel-a.istio-system")) {
            syncAll(waypoint);
            ztunnel.subscribe(TypeUrls.ADDRESS);
            ztunnel.ack(ztunnel.next());
            ztunnel.subscribe(TypeUrls.AUTHORIZATION);
            ztunnel.ack(ztunnel.next());

            source.publish(mesh(10, 90));
            assertThat(names(waypoint.next())).containsExactly(REVIEWS_ROUTE);
            ztunnel.expectSilence(Duration.ofMillis(300));

            String policy = """
                    apiVersion: security.istio.io/v1
                    kind: AuthorizationPolicy
                    metadata: {name: deny-all, namespace: default}
                    spec: {}
                    """;
            source.publish(BookinfoMeshAccess.with(
                    SPLIT.formatted(10, 90), BookinfoMeshAccess.seed("03-gateway-bookinfo-gateway.yaml"), policy));
            DeltaDiscoveryResponse authorization = ztunnel.next();
            assertThat(authorization.getTypeUrl()).isEqualTo(TypeUrls.AUTHORIZATION);
            waypoint.expectSilence(Duration.ofMillis(300));
        }
    }

    @Test
    void aNackIsCountedAndTheClientKeepsItsLastAcceptedRoute() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), waypointNode())) {
            Map<String, DeltaDiscoveryResponse> initial = syncAll(client);
            String acceptedVersion =
                    XdsTestClient.versions(initial.get(TypeUrls.ROUTE)).get(REVIEWS_ROUTE);
            await().atMost(Duration.ofSeconds(5))
                    .until(() ->
                            server.ads().clients().getFirst().ackedVersions().size() == 4);

            source.publish(mesh(60, 40));
            DeltaDiscoveryResponse rejected = client.next();
            assertThat(names(rejected)).containsExactly(REVIEWS_ROUTE);
            client.nack(rejected, "route_config: weighted_clusters not supported");
            await().atMost(Duration.ofSeconds(5)).until(() -> server.ads().rejects(TypeUrls.ROUTE) == 1.0);
            assertThat(server.ads()
                            .clients()
                            .getFirst()
                            .ackedVersions()
                            .get(TypeUrls.ROUTE)
                            .get(REVIEWS_ROUTE))
                    .isEqualTo(acceptedVersion);

            // The next change is diffed against what the client accepted: the route comes again.
            source.publish(mesh(70, 30));
            DeltaDiscoveryResponse retry = client.next();
            assertThat(names(retry)).containsExactly(REVIEWS_ROUTE);
            client.ack(retry);
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> !server.ads()
                            .clients()
                            .getFirst()
                            .ackedVersions()
                            .get(TypeUrls.ROUTE)
                            .get(REVIEWS_ROUTE)
                            .equals(acceptedVersion));
        }
    }

    @Test
    void aServiceLeavingTheWaypointIsRemovedFromIt() throws Exception {
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), waypointNode())) {
            syncAll(client);
            String optOut = """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: reviews, namespace: default, labels: {istio.io/use-waypoint: none}}
                    spec: {clusterIP: 198.19.0.20, selector: {app: reviews}, ports: [{name: http, port: 9080}]}
                    """;
            ConfigSnapshot base = mesh(75, 25);
            var resources = new java.util.ArrayList<>(base.resources().values());
            resources.removeIf(r -> r.key().kind() == io.ambientjava.istiod.config.ResourceKind.SERVICE
                    && r.key().name().equals("reviews"));
            resources.addAll(io.ambientjava.istiod.testsupport.Configs.snapshot(optOut)
                    .resources()
                    .values());
            source.publish(ConfigSnapshot.of(base.generation() + 1, resources));
            Map<String, List<String>> removed = new HashMap<>();
            for (int i = 0; i < 4; i++) {
                DeltaDiscoveryResponse response = client.next();
                assertThat(response.getResourcesList()).isEmpty();
                removed.put(response.getTypeUrl(), response.getRemovedResourcesList());
                client.ack(response);
            }
            assertThat(removed.get(TypeUrls.LISTENER)).containsExactly("inbound-vip|9080|http|" + REVIEWS);
            assertThat(removed.get(TypeUrls.ROUTE)).containsExactly(REVIEWS_ROUTE);
            assertThat(removed.get(TypeUrls.CLUSTER)).hasSize(4).allMatch(name -> name.endsWith("|" + REVIEWS));
            assertThat(removed.get(TypeUrls.ENDPOINT)).hasSize(4);
        }
    }

    @Test
    void anAuthorizationPolicyOnAServiceReachesItsListenerAndAChangeIsADeltaOfThatListener() throws Exception {
        String policy = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: reviews-get, namespace: default}
                spec:
                  targetRefs: [{kind: Service, group: "", name: reviews}]
                  rules: [{to: [{operation: {methods: [%s]}}]}]
                """;
        // A server started with the policy, so the first answer already holds it.
        server.close();
        source = new MutableConfigSource();
        source.publish(BookinfoMeshAccess.with(
                SPLIT.formatted(75, 25),
                BookinfoMeshAccess.seed("03-gateway-bookinfo-gateway.yaml"),
                policy.formatted("GET")));
        server = IstiodServer.builder(source, ca)
                .xdsPort(0)
                .debounce(Duration.ofMillis(20))
                .start();
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), waypointNode())) {
            Map<String, DeltaDiscoveryResponse> initial = syncAll(client);
            Listener reviews = initial.get(TypeUrls.LISTENER).getResourcesList().stream()
                    .filter(r -> r.getName().equals("inbound-vip|9080|http|" + REVIEWS))
                    .findFirst()
                    .orElseThrow()
                    .getResource()
                    .unpack(Listener.class);
            assertThat(rbacMethod(reviews)).isEqualTo("GET");

            source.publish(BookinfoMeshAccess.with(
                    SPLIT.formatted(75, 25),
                    BookinfoMeshAccess.seed("03-gateway-bookinfo-gateway.yaml"),
                    policy.formatted("POST")));
            DeltaDiscoveryResponse delta = client.next();
            assertThat(delta.getTypeUrl()).isEqualTo(TypeUrls.LISTENER);
            assertThat(names(delta)).containsExactly("inbound-vip|9080|http|" + REVIEWS);
            assertThat(rbacMethod(delta.getResources(0).getResource().unpack(Listener.class)))
                    .isEqualTo("POST");
            client.ack(delta);
            client.expectSilence(Duration.ofMillis(300));
        }
    }

    /** The method the only rule of the listener's ALLOW rbac filter (before fault and router) admits. */
    private static String rbacMethod(Listener listener) throws Exception {
        var hcm = listener.getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(
                        io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                                .class);
        assertThat(hcm.getHttpFiltersList())
                .extracting(f -> f.getName())
                .containsExactly(
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        var rules = hcm.getHttpFilters(0)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)
                .getRules();
        assertThat(rules.getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW);
        return rules.getPoliciesOrThrow("ns[default]-policy[reviews-get]-rule[0]")
                .getPermissions(0)
                .getHeader()
                .getStringMatch()
                .getExact();
    }

    @Test
    void aGatewayGetsItsListenerOnPort80() throws Exception {
        Node gateway = Node.newBuilder()
                .setId("router~198.18.1.99~ingress-0.default~default.svc.cluster.local")
                .setMetadata(Struct.newBuilder().putFields("GATEWAY", text("default/bookinfo-gateway")))
                .build();
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), gateway)) {
            Map<String, DeltaDiscoveryResponse> initial = syncAll(client);
            assertThat(names(initial.get(TypeUrls.LISTENER))).containsExactly("0.0.0.0_80");
            assertThat(names(initial.get(TypeUrls.ROUTE))).containsExactly("http.80");
        }
    }

    @Test
    void aWaypointNodeWithoutWaypointMetadataIsRefused() throws Exception {
        Node anonymous = Node.newBuilder()
                .setId("waypoint~198.19.0.2~w.default~default.svc.cluster.local")
                .build();
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), anonymous)) {
            client.subscribe(TypeUrls.LISTENER);
            Throwable error = client.awaitClosed();
            assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(Status.fromThrowable(error).getDescription()).contains("WAYPOINT");
        }
    }

    @Test
    void typesAreServedToTheirOwnKindOfClientOnly() throws Exception {
        try (XdsTestClient waypoint = new XdsTestClient(server.xdsPort(), waypointNode())) {
            waypoint.subscribe(TypeUrls.ADDRESS);
            assertThat(Status.fromThrowable(waypoint.awaitClosed()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
        try (XdsTestClient ztunnel = new XdsTestClient(server.xdsPort(), "ztunnel~198.18.0.2~ztunnel-a.istio-system")) {
            ztunnel.subscribe(TypeUrls.LISTENER);
            assertThat(Status.fromThrowable(ztunnel.awaitClosed()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
        try (XdsTestClient ztunnel = new XdsTestClient(server.xdsPort(), "ztunnel~198.18.0.2~ztunnel-a.istio-system")) {
            ztunnel.subscribe(TypeUrls.ADDRESS);
            assertThat(ztunnel.next().getResourcesCount()).isPositive();
        }
    }

    @Test
    void aWaypointNotYetConfiguredGetsEmptyAnswersThenItsResourcesWhenItAppears() throws Exception {
        Node unknown = waypointNode().toBuilder()
                .setMetadata(waypointNode().getMetadata().toBuilder().putFields("WAYPOINT", text("later")))
                .build();
        try (XdsTestClient client = new XdsTestClient(server.xdsPort(), unknown)) {
            Map<String, DeltaDiscoveryResponse> initial = syncAll(client);
            initial.values().forEach(r -> assertThat(r.getResourcesList()).isEmpty());
        }
    }
}
