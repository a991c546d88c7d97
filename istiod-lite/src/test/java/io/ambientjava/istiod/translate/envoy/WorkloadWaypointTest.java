package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.testsupport.Configs;
import io.ambientjava.istiod.translate.TranslationWarning;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Workload-addressed traffic at a waypoint ({@code istio.io/waypoint-for: workload} or {@code all}): the
 * {@code inbound-pod} listener with one chain per bound pod IP, its route table and the ORIGINAL_DST cluster, and the
 * security filters of each pod's chain.
 */
class WorkloadWaypointTest {

    private static final String WEB = "web.shop.svc.cluster.local";
    private static final String SHOP = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
            """;
    /** The namespace bound to the waypoint as a whole: its services and its pods. */
    private static final String SHOP_BOUND = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: wp}}
            """;

    private static final String WEB_SERVICE = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec: {clusterIP: 198.19.0.10, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
            """;

    /** The waypoint {@code shop/wp}, for the given traffic ({@code null}: the default, service). */
    private static String waypointFor(String traffic) {
        String labels = traffic == null ? "" : ", labels: {istio.io/waypoint-for: " + traffic + "}";
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: wp, namespace: shop%s}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: wp, namespace: shop, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
                spec: {clusterIP: 198.19.0.50, ports: [{name: mesh, port: 15008}]}
                """.formatted(labels);
    }

    /** A pod of {@code shop} bound to {@code wp} by its own label. */
    private static String boundPod(String name, String ip, String app) {
        return pod("shop", name, ip, app, "node-a", "app=" + app, "istio.io/use-waypoint=wp");
    }

    private static EnvoyTranslation translate(String... documents) {
        ConfigSnapshot snapshot = Configs.snapshot(join(documents));
        return new EnvoyTranslator(BookinfoMesh.SETTINGS).translate(snapshot);
    }

    private static ProxyResources wp(EnvoyTranslation translation) {
        return translation.of(ProxyId.waypoint("shop", "wp"));
    }

    private static List<FilterChain> chains(ProxyResources waypoint) {
        Listener listener = waypoint.listeners().get("inbound-pod");
        assertThat(listener).as("inbound-pod listener").isNotNull();
        return listener.getFilterChainsList();
    }

    private static FilterChain chain(ProxyResources waypoint, String ip) {
        return chains(waypoint).stream()
                .filter(c -> c.getName().equals("inbound-pod|" + ip))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no chain for " + ip));
    }

    private static HttpConnectionManager hcm(FilterChain chain) throws InvalidProtocolBufferException {
        assertThat(chain.getFiltersList()).hasSize(1);
        assertThat(chain.getFilters(0).getName()).isEqualTo("envoy.filters.network.http_connection_manager");
        return chain.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    }

    private static List<String> filterNames(FilterChain chain) throws InvalidProtocolBufferException {
        return hcm(chain).getHttpFiltersList().stream().map(HttpFilter::getName).toList();
    }

    private static List<String> serviceFilterNames(ProxyResources waypoint) throws InvalidProtocolBufferException {
        return waypoint
                .listeners()
                .get("inbound-vip|80|http|" + WEB)
                .getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(HttpConnectionManager.class)
                .getHttpFiltersList()
                .stream()
                .map(HttpFilter::getName)
                .toList();
    }

    private static Value text(String value) {
        return Value.newBuilder().setStringValue(value).build();
    }

    @Test
    void aWorkloadWaypointGetsAChainPerBoundPodIpTheCatchAllRouteAndTheOriginalDestinationCluster() throws Exception {
        var translation = translate(SHOP, waypointFor("workload"), WEB_SERVICE, boundPod("web-0", "198.18.1.5", "web"));
        assertThat(translation.warnings()).isEmpty();
        ProxyResources waypoint = wp(translation);
        assertThat(waypoint.listeners()).containsOnlyKeys("inbound-pod");
        Listener listener = waypoint.listeners().get("inbound-pod");
        assertThat(listener.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
        assertThat(listener.getAddress().getSocketAddress().getPortValue()).isEqualTo(15008);

        FilterChain chain = listener.getFilterChains(0);
        assertThat(listener.getFilterChainsList()).hasSize(1);
        assertThat(chain.getName()).isEqualTo("inbound-pod|198.18.1.5");
        assertThat(chain.getFilterChainMatch())
                .as("one single-address range, no destination port")
                .isEqualTo(FilterChainMatch.newBuilder()
                        .addPrefixRanges(CidrRange.newBuilder()
                                .setAddressPrefix("198.18.1.5")
                                .setPrefixLen(UInt32Value.of(32)))
                        .build());
        assertThat(chain.getMetadata())
                .isEqualTo(Metadata.newBuilder()
                        .putFilterMetadata(
                                "istio",
                                Struct.newBuilder()
                                        .putFields("workload", text("web-0;shop;web;latest;Kubernetes"))
                                        .build())
                        .putFilterMetadata(
                                "ambient",
                                Struct.newBuilder()
                                        .putFields("identity", text("spiffe://cluster.local/ns/shop/sa/web"))
                                        .putFields(
                                                "hbone",
                                                Value.newBuilder()
                                                        .setBoolValue(true)
                                                        .build())
                                        .build())
                        .build());
        HttpConnectionManager hcm = hcm(chain);
        assertThat(hcm.getStatPrefix()).isEqualTo("inbound-pod|198.18.1.5");
        assertThat(hcm.getCodecType()).isEqualTo(HttpConnectionManager.CodecType.AUTO);
        assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("inbound-pod");
        assertThat(hcm.getRds().getConfigSource().hasAds()).isTrue();
        assertThat(filterNames(chain))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");

        assertThat(waypoint.routes()).containsOnlyKeys("inbound-pod");
        RouteConfiguration routes = waypoint.routes().get("inbound-pod");
        assertThat(routes.getVirtualHostsList()).singleElement().satisfies(host -> {
            assertThat(host.getName()).isEqualTo("inbound-pod");
            assertThat(host.getDomainsList()).containsExactly("*");
            assertThat(host.getRoutesList()).singleElement().satisfies(route -> {
                assertThat(route.getName()).isEqualTo("default");
                assertThat(route.getMatch().getPrefix()).isEqualTo("/");
                assertThat(route.getRoute().getCluster()).isEqualTo("inbound-pod|passthrough");
                assertThat(route.getRoute().getTimeout()).isEqualTo(Duration.getDefaultInstance());
                assertThat(route.getRoute().getRetryPolicy())
                        .isEqualTo(RetryPolicies.translate(null).orElseThrow());
            });
        });
        assertThat(routes.getVirtualHosts(0).getRoutes(0).getRoute().getRetryPolicy())
                .extracting(RetryPolicy::getRetryOn, p -> p.getNumRetries().getValue())
                .containsExactly("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", 2);

        assertThat(waypoint.clusters()).containsOnlyKeys("inbound-pod|passthrough");
        assertThat(waypoint.clusters().get("inbound-pod|passthrough"))
                .isEqualTo(Cluster.newBuilder()
                        .setName("inbound-pod|passthrough")
                        .setType(Cluster.DiscoveryType.ORIGINAL_DST)
                        .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                        .setConnectTimeout(Duration.newBuilder().setSeconds(10))
                        .build());
        assertThat(waypoint.endpoints()).doesNotContainKey("inbound-pod|passthrough");
    }

    @Test
    void theMeshsAccessLogAndTracingReachEveryPodChain() throws Exception {
        var mesh = io.ambientjava.istiod.translate.MeshTelemetry.parse("""
                accessLogFile: /dev/stdout
                defaultProviders: {tracing: [zipkin]}
                extensionProviders:
                - name: zipkin
                  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
                """, "mesh");
        var translation = new EnvoyTranslator(BookinfoMesh.SETTINGS, mesh)
                .translate(Configs.snapshot(join(
                        SHOP,
                        waypointFor("all"),
                        WEB_SERVICE,
                        boundPod("web-0", "198.18.1.5", "web"),
                        boundPod("web-1", "198.18.1.6", "web"))));
        for (String ip : List.of("198.18.1.5", "198.18.1.6")) {
            HttpConnectionManager hcm = hcm(chain(wp(translation), ip));
            assertThat(hcm.getAccessLogList()).as(ip).hasSize(1);
            assertThat(hcm.getTracing().getRandomSampling().getValue()).as(ip).isEqualTo(1.0);
        }
    }

    @Test
    void aLocalRateLimitEnvoyFilterForWaypointsReachesEveryPodChain() throws Exception {
        var translation = translate(
                SHOP,
                waypointFor("workload"),
                boundPod("web-0", "198.18.1.5", "web"),
                boundPod("web-1", "198.18.1.6", "web"),
                io.ambientjava.istiod.config.envoyfilter.RateLimitFilters.listenerLimit(
                        "istio-system", "SIDECAR_INBOUND", ""));
        for (String ip : List.of("198.18.1.5", "198.18.1.6")) {
            assertThat(filterNames(chain(wp(translation), ip)))
                    .as(ip)
                    .containsExactly(
                            "envoy.filters.http.fault",
                            "envoy.filters.http.cors",
                            "envoy.filters.http.local_ratelimit",
                            "envoy.filters.http.router");
        }
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void aPodOutsideTheAmbientMeshIsReachedInPlainTcp() throws Exception {
        String plain = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                """;
        var translation = translate(plain, waypointFor("workload"), boundPod("web-0", "198.18.1.5", "web"));
        assertThat(chain(wp(translation), "198.18.1.5")
                        .getMetadata()
                        .getFilterMetadataOrThrow("ambient")
                        .getFieldsOrThrow("hbone")
                        .getBoolValue())
                .isFalse();
    }

    @Test
    void aNamespaceBoundToAWorkloadWaypointGetsPodChainsOnlyAndNoWarnings() {
        var translation = translate(
                SHOP_BOUND,
                waypointFor("workload"),
                WEB_SERVICE,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"));
        assertThat(translation.warnings()).isEmpty();
        assertThat(wp(translation).listeners()).containsOnlyKeys("inbound-pod");
    }

    @Test
    void aWaypointForAllTrafficGetsTheServiceListenersAndThePodListener() throws Exception {
        var translation = translate(
                SHOP_BOUND,
                waypointFor("all"),
                WEB_SERVICE,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"),
                pod("shop", "web-1", "198.18.1.6", "web", "node-a", "app=web"));
        assertThat(translation.warnings()).isEmpty();
        ProxyResources waypoint = wp(translation);
        assertThat(waypoint.listeners()).containsOnlyKeys("inbound-vip|80|http|" + WEB, "inbound-pod");
        assertThat(chains(waypoint))
                .extracting(FilterChain::getName)
                .containsExactly("inbound-pod|198.18.1.5", "inbound-pod|198.18.1.6");
        assertThat(waypoint.routes()).containsOnlyKeys(WEB + ":80", "inbound-pod");
        assertThat(waypoint.clusters()).containsKeys("outbound|80||" + WEB, "inbound-pod|passthrough");
        assertThat(waypoint.endpoints())
                .containsKey("outbound|80||" + WEB)
                .doesNotContainKey("inbound-pod|passthrough");
    }

    @Test
    void aServiceWaypointGetsNoPodListenerAndItsNamespacesPodsRaiseNoWarning() {
        var translation = translate(
                SHOP_BOUND,
                waypointFor(null),
                WEB_SERVICE,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"));
        assertThat(translation.warnings()).isEmpty();
        ProxyResources waypoint = wp(translation);
        assertThat(waypoint.listeners()).containsOnlyKeys("inbound-vip|80|http|" + WEB);
        assertThat(waypoint.routes()).doesNotContainKey("inbound-pod");
        assertThat(waypoint.clusters()).doesNotContainKey("inbound-pod|passthrough");
    }

    @Test
    void aPolicyTargetingTheWaypointIsOnEveryPodChainAndCountsAsApplied() throws Exception {
        String policy = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: get-only, namespace: shop}
                spec:
                  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: wp}]
                  rules: [{to: [{operation: {methods: [GET]}}]}]
                """;
        var translation = translate(
                SHOP,
                waypointFor("workload"),
                policy,
                boundPod("web-0", "198.18.1.5", "web"),
                boundPod("api-0", "198.18.1.7", "api"));
        assertThat(translation.warnings())
                .as("reaching the waypoint through pod chains only, the policy is applied")
                .isEmpty();
        for (String ip : List.of("198.18.1.5", "198.18.1.7")) {
            FilterChain chain = chain(wp(translation), ip);
            assertThat(filterNames(chain))
                    .containsExactly(
                            "envoy.filters.http.rbac",
                            "envoy.filters.http.fault",
                            "envoy.filters.http.cors",
                            "envoy.filters.http.router");
            var rules = hcm(chain)
                    .getHttpFilters(0)
                    .getTypedConfig()
                    .unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)
                    .getRules();
            assertThat(rules.getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW);
            assertThat(rules.getPoliciesMap()).containsOnlyKeys("ns[shop]-policy[get-only]-rule[0]");
        }
    }

    @Test
    void aPolicyTargetingAServiceStaysOffThePodChains() throws Exception {
        String policy = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: web-get, namespace: shop}
                spec:
                  targetRefs: [{kind: Service, group: "", name: web}]
                  rules: [{to: [{operation: {methods: [GET]}}]}]
                """;
        var translation = translate(
                SHOP_BOUND,
                waypointFor("all"),
                WEB_SERVICE,
                policy,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"));
        assertThat(translation.warnings()).isEmpty();
        ProxyResources waypoint = wp(translation);
        assertThat(serviceFilterNames(waypoint))
                .containsExactly(
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        assertThat(filterNames(chain(waypoint, "198.18.1.5")))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
    }

    @Test
    void aSelectorPolicyNeedingTheWaypointIsOnTheChainsOfThePodsItSelectsOnly() throws Exception {
        String l7 = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: web-get, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  rules: [{to: [{operation: {methods: [GET]}}]}]
                """;
        String l4 = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: api-from-shop, namespace: shop}
                spec:
                  selector: {matchLabels: {app: api}}
                  rules: [{from: [{source: {namespaces: [shop]}}]}]
                """;
        String jwt = """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: jwt, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  jwtRules: [{issuer: https://issuer.example, jwksUri: https://issuer.example/jwks}]
                """;
        var translation = translate(
                SHOP,
                waypointFor("workload"),
                l7,
                l4,
                jwt,
                boundPod("web-0", "198.18.1.5", "web"),
                boundPod("api-0", "198.18.1.7", "api"));
        ProxyResources waypoint = wp(translation);
        assertThat(filterNames(chain(waypoint, "198.18.1.5")))
                .containsExactly(
                        "envoy.filters.http.jwt_authn",
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        assertThat(filterNames(chain(waypoint, "198.18.1.7")))
                .as("not selected, or ztunnel's alone (L4)")
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
        assertThat(translation.warnings())
                .filteredOn(w -> w.resource().toString().equals("RequestAuthentication shop/jwt"))
                .extracting(TranslationWarning::message)
                .singleElement()
                .asString()
                .contains("enforced at waypoint shop/wp (for pod shop/web-0)");
    }

    @Test
    void podsWithoutAnIpOrOnTheNodesNetworkGetNoChain() {
        String pending = """
                apiVersion: v1
                kind: Pod
                metadata: {name: web-pending, namespace: shop, labels: {app: web, istio.io/use-waypoint: wp}}
                spec: {serviceAccountName: web, containers: [{name: app, image: app}]}
                status: {phase: Pending}
                """;
        String hostNetwork = """
                apiVersion: v1
                kind: Pod
                metadata: {name: agent, namespace: shop, labels: {app: agent, istio.io/use-waypoint: wp}}
                spec: {hostNetwork: true, nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 198.18.250.4}
                """;
        var none = translate(SHOP, waypointFor("workload"), pending, hostNetwork);
        assertThat(wp(none).listeners()).isEmpty();
        assertThat(wp(none).routes()).isEmpty();
        assertThat(wp(none).clusters()).isEmpty();

        var one =
                translate(SHOP, waypointFor("workload"), pending, hostNetwork, boundPod("web-0", "198.18.1.5", "web"));
        assertThat(chains(wp(one))).extracting(FilterChain::getName).containsExactly("inbound-pod|198.18.1.5");
    }

    @Test
    void chainsAreSortedByAddressWithOnePerIpOfADualStackPod() throws Exception {
        String dualStack = boundPod("web-2", "198.18.1.11", "web")
                .replace(
                        "status: {phase: Running, podIP: 198.18.1.11}",
                        "status: {phase: Running, podIP: 198.18.1.11, podIPs: [{ip: 198.18.1.11}, {ip: 'fd00::11'}]}");
        var translation = translate(
                SHOP,
                waypointFor("workload"),
                boundPod("web-0", "198.18.1.10", "web"),
                boundPod("web-1", "198.18.1.9", "web"),
                dualStack);
        ProxyResources waypoint = wp(translation);
        assertThat(chains(waypoint))
                .extracting(FilterChain::getName)
                .containsExactly(
                        "inbound-pod|198.18.1.9",
                        "inbound-pod|198.18.1.10",
                        "inbound-pod|198.18.1.11",
                        "inbound-pod|fd00::11");
        FilterChain v6 = chain(waypoint, "fd00::11");
        assertThat(v6.getFilterChainMatch().getPrefixRangesList())
                .containsExactly(CidrRange.newBuilder()
                        .setAddressPrefix("fd00::11")
                        .setPrefixLen(UInt32Value.of(128))
                        .build());
        assertThat(v6.getMetadata()).isEqualTo(chain(waypoint, "198.18.1.11").getMetadata());
        assertThat(chain(waypoint, "198.18.1.9")
                        .getMetadata()
                        .getFilterMetadataOrThrow("istio")
                        .getFieldsOrThrow("workload")
                        .getStringValue())
                .isEqualTo("web-1;shop;web;latest;Kubernetes");
    }

    @Test
    void anAddressTwoPodsClaimGoesToTheFirstAndTheOtherIsReported() {
        var translation = translate(
                SHOP,
                waypointFor("workload"),
                boundPod("web-a", "198.18.1.5", "web"),
                boundPod("web-b", "198.18.1.5", "web"));
        assertThat(chains(wp(translation)))
                .singleElement()
                .satisfies(chain -> assertThat(chain.getMetadata()
                                .getFilterMetadataOrThrow("istio")
                                .getFieldsOrThrow("workload")
                                .getStringValue())
                        .startsWith("web-a;"));
        assertThat(translation.warnings()).singleElement().satisfies(w -> {
            assertThat(w.resource().toString()).isEqualTo("Pod shop/web-b");
            assertThat(w.message()).contains("another pod has IP 198.18.1.5");
        });
    }

    @Test
    void theEndpointsOfAServiceCarryTheSameMetadataAsItsPodsChains() {
        var translation = translate(
                SHOP_BOUND,
                waypointFor("all"),
                WEB_SERVICE,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"));
        ProxyResources waypoint = wp(translation);
        var endpoint =
                waypoint.endpoints().get("outbound|80||" + WEB).getEndpoints(0).getLbEndpoints(0);
        assertThat(endpoint.getMetadata())
                .isEqualTo(chain(waypoint, "198.18.1.5").getMetadata());
    }
}
