package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.testsupport.IstiodLite;
import io.ambientjava.waypoint.xds.AdsClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The waypoint's ADS client against the real istiod-lite on a config folder: whatever istiod-lite translates from
 * the users' Istio YAML (the L7 seed examples, unmodified) must be accepted as sent, never NACKed.
 */
class IstiodLiteConfigTest {

    /** istiod-lite keeps a byte-identical copy of ../shared/seed-examples in its test resources. */
    private static final Path SEEDS = Path.of("../istiod-lite/src/test/resources/seed-examples");

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path folder;

    private IstiodLite istiodLite;
    private AdsClient client;
    private final AtomicReference<WaypointConfig> config = new AtomicReference<>(WaypointConfig.EMPTY);

    @BeforeEach
    void start() throws IOException {
        Files.writeString(folder.resolve("00-mesh.yaml"), mesh());
        istiodLite = IstiodLite.start(folder);
        client = istiodLite.subscribe(IstiodLite.WAYPOINT, config::set);
    }

    @AfterEach
    void stop() throws Exception {
        if (istiodLite != null) {
            istiodLite.close();
        }
    }

    @Test
    void theMeshWithoutRoutingRulesIsAcceptedAndListensOnTheServiceVips() {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        assertThat(client.nacks()).as(client.lastNack()).isZero();
        assertThat(config.get()).isNotEqualTo(WaypointConfig.EMPTY);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "01-virtualservice-reviews.yaml",
                "02-destinationrule-reviews.yaml",
                "07-destinationrule-circuit-breaker.yaml",
                "08-virtualservice-reviews.yaml",
                "09-virtualservice-reviews.yaml",
                "10-virtualservice-ratings.yaml",
                "11-virtualservice-reviews.yaml",
                "13-virtualservice-product-api.yaml"
            })
    void everyL7SeedExampleIsAcceptedAsIstiodLiteTranslatesIt(String seed) throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        long acksBefore = client.acks();

        Files.writeString(folder.resolve("10-" + seed), Files.readString(SEEDS.resolve(seed)));

        await().atMost(WAIT).until(() -> client.acks() > acksBefore || client.nacks() > 0);
        // a later push of the same change may still be in flight: give it a moment, then nothing may be refused
        await().pollDelay(Duration.ofMillis(300)).atMost(WAIT).until(() -> true);
        assertThat(client.nacks()).as("NACK: %s", client.lastNack()).isZero();
    }

    @Test
    void aDestinationRuleRetryBudgetIsAcceptedAsTheClustersRetryBudget() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        Files.writeString(folder.resolve("20-retry-budget.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy:
                    retryBudget: {percent: 25, minRetryConcurrency: 4}
                """);
        String cluster = "outbound|9080||reviews.default.svc.cluster.local";
        await().atMost(WAIT)
                .until(() -> config.get().clusters().containsKey(cluster)
                        && config.get()
                                .clusters()
                                .get(cluster)
                                .limits()
                                .retryBudget()
                                .isPresent());
        assertThat(client.nacks()).as("NACK: %s", client.lastNack()).isZero();
        assertThat(config.get().clusters().get(cluster).limits().retryBudget())
                .contains(new io.ambientjava.waypoint.config.CircuitBreakerLimits.RetryBudget(25.0, 4));
    }

    @Test
    void aDestinationRuleWarmupIsAcceptedAsTheClustersSlowStart() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        Files.writeString(folder.resolve("20-warmup.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ratings, namespace: default}
                spec:
                  host: ratings
                  trafficPolicy:
                    loadBalancer: {simple: LEAST_REQUEST, warmup: {duration: 60s, aggression: 1.5, minimumPercent: 20}}
                """);
        String cluster = "outbound|9080||ratings.default.svc.cluster.local";
        await().atMost(WAIT)
                .until(() -> config.get().clusters().containsKey(cluster)
                        && config.get().clusters().get(cluster).slowStart().isPresent());
        assertThat(client.nacks()).as("NACK: %s", client.lastNack()).isZero();
        assertThat(config.get().clusters().get(cluster).slowStart())
                .contains(new io.ambientjava.waypoint.config.SlowStart(Duration.ofMinutes(1), 1.5, 0.2));
    }

    /** Istio's "TCP traffic shifting" task: a tcp route splitting 80/20 over two subsets (weighted_clusters). */
    @Test
    void aTcpRouteSplitByWeightIsAcceptedAsWeightedClusters() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        long acksBefore = client.acks();
        Files.writeString(folder.resolve("20-tcp-echo.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: tcp-echo, namespace: default}
                spec: {clusterIP: 198.19.0.40, selector: {app: tcp-echo}, ports: [{name: tcp, port: 9000}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: tcp-echo-v1, namespace: default, labels: {app: tcp-echo, version: v1}}
                spec: {nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 198.18.1.40}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: tcp-echo-v2, namespace: default, labels: {app: tcp-echo, version: v2}}
                spec: {nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 198.18.1.41}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: tcp-echo, namespace: default}
                spec:
                  host: tcp-echo
                  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: tcp-echo, namespace: default}
                spec:
                  hosts: [tcp-echo]
                  tcp:
                  - match: [{port: 9000}]
                    route:
                    - {destination: {host: tcp-echo, port: {number: 9000}, subset: v1}, weight: 80}
                    - {destination: {host: tcp-echo, port: {number: 9000}, subset: v2}, weight: 20}
                """);
        IstiodLite.awaitAccepted(
                client,
                () -> (client.acks() > acksBefore
                        && config.get().listeners().values().stream()
                                .anyMatch(l -> l.kind() instanceof ListenerConfig.Tcp t
                                        && t.clusters().size() == 2)));
        var tcp = config.get().listeners().values().stream()
                .map(ListenerConfig::kind)
                .filter(k -> k instanceof ListenerConfig.Tcp t && t.clusters().size() == 2)
                .map(ListenerConfig.Tcp.class::cast)
                .findFirst()
                .orElseThrow();
        assertThat(tcp.clusters())
                .containsExactly(
                        new ListenerConfig.Tcp.ClusterWeight("outbound|9000|v1|tcp-echo.default.svc.cluster.local", 80),
                        new ListenerConfig.Tcp.ClusterWeight(
                                "outbound|9000|v2|tcp-echo.default.svc.cluster.local", 20));
    }

    @Test
    void connectionPoolTimeoutsAndStreamLimitsAreAcceptedWhereIstioPutsThem() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        long acksBefore = client.acks();
        Files.writeString(folder.resolve("20-pool-tuning.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: tcp-echo, namespace: default}
                spec: {clusterIP: 198.19.0.40, selector: {app: tcp-echo}, ports: [{name: tcp, port: 9000}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: tcp-echo, namespace: default}
                spec:
                  host: tcp-echo
                  trafficPolicy: {connectionPool: {tcp: {idleTimeout: 45s, maxConnectionDuration: 1h}}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE, maxConcurrentStreams: 8}}}
                """);
        String reviews = "outbound|9080||reviews.default.svc.cluster.local";
        IstiodLite.awaitAccepted(
                client,
                () -> client.acks() > acksBefore
                        && config.get().clusters().containsKey(reviews)
                        && config.get().clusters().get(reviews).http2MaxConcurrentStreams() == 8
                        && config.get().listeners().values().stream()
                                .anyMatch(l -> l.kind() instanceof ListenerConfig.Tcp t
                                        && t.idleTimeout().equals(Optional.of(Duration.ofSeconds(45)))));
        var tcp = config.get().listeners().values().stream()
                .map(ListenerConfig::kind)
                .filter(k -> k instanceof ListenerConfig.Tcp t
                        && t.clusters().getFirst().cluster().endsWith("|tcp-echo.default.svc.cluster.local"))
                .map(ListenerConfig.Tcp.class::cast)
                .findFirst()
                .orElseThrow();
        assertThat(tcp.maxConnectionDuration()).contains(Duration.ofHours(1));
        assertThat(config.get().clusters().get(reviews).http2()).isTrue();
        assertThat(config.get()
                        .clusters()
                        .get("outbound|9000||tcp-echo.default.svc.cluster.local")
                        .idleTimeout())
                .isEqualTo(Duration.ofSeconds(45));
    }

    /**
     * Every DestinationRule traffic-policy field and every VirtualService HTTP feature a user may write, at once: what
     * istiod-lite makes of them must never be refused by the waypoint (one unknown field NACKs the whole update).
     */
    @Test
    void everyTrafficPolicyAndHttpRouteFieldTogetherIsAccepted() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        long acksBefore = client.acks();
        Files.writeString(folder.resolve("20-everything.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy:
                    connectionPool:
                      tcp:
                        maxConnections: 100
                        connectTimeout: 30ms
                        maxConnectionDuration: 1h
                        idleTimeout: 10m
                        tcpKeepalive: {time: 7200s, interval: 75s, probes: 9}
                      http:
                        http1MaxPendingRequests: 10
                        http2MaxRequests: 100
                        maxRequestsPerConnection: 10
                        maxRetries: 3
                        idleTimeout: 5m
                        h2UpgradePolicy: DEFAULT
                        useClientProtocol: false
                        maxConcurrentStreams: 50
                    loadBalancer: {simple: LEAST_REQUEST, warmup: {duration: 60s, aggression: 1.5, minimumPercent: 20}}
                    outlierDetection:
                      consecutive5xxErrors: 5
                      consecutiveGatewayErrors: 3
                      interval: 10s
                      baseEjectionTime: 30s
                      maxEjectionPercent: 50
                      minHealthPercent: 30
                      splitExternalLocalOriginErrors: true
                      consecutiveLocalOriginFailures: 4
                    retryBudget: {percent: 10, minRetryConcurrency: 2}
                    tls: {mode: ISTIO_MUTUAL}
                    portLevelSettings:
                    - port: {number: 9080}
                      loadBalancer: {consistentHash: {httpHeaderName: x-user, minimumRingSize: 1024}}
                  subsets:
                  - name: v1
                    labels: {version: v1}
                    trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: user, ttl: 0s}}}}
                  - name: v2
                    labels: {version: v2}
                    trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 65537}}}}
                  - name: v3
                    labels: {version: v3}
                    trafficPolicy:
                      loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 60s, aggression: 1.5, minimumPercent: 20}}
                      connectionPool: {http: {h2UpgradePolicy: UPGRADE, maxConcurrentStreams: 20}}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - name: everything
                    match:
                    - uri: {prefix: /api}
                      method: {exact: GET}
                      headers: {x-a: {exact: "1"}, x-b: {prefix: p}, x-c: {regex: "r.*"}}
                      queryParams: {q: {exact: v}}
                      ignoreUriCase: true
                      withoutHeaders: {x-d: {}}
                      authority: {exact: reviews}
                    rewrite: {uri: /v2, authority: reviews.default.svc.cluster.local}
                    route:
                    - destination: {host: reviews, subset: v1}
                      weight: 70
                      headers: {request: {set: {x-r: "1"}}, response: {add: {x-s: "2"}}}
                    - destination: {host: reviews, subset: v2}
                      weight: 30
                    timeout: 5s
                    retries:
                      attempts: 3
                      perTryTimeout: 2s
                      retryOn: 5xx,gateway-error,connect-failure,reset,retriable-4xx
                    fault:
                      delay: {percentage: {value: 1}, fixedDelay: 10ms}
                      abort: {percentage: {value: 1}, httpStatus: 503}
                    mirror: {host: reviews, subset: v3}
                    mirrorPercentage: {value: 5}
                    corsPolicy:
                      allowOrigins: [{exact: "https://frontend.default.svc.cluster.local"}]
                      allowMethods: [GET]
                      allowHeaders: [x-a]
                      exposeHeaders: [x-b]
                      maxAge: 24h
                      allowCredentials: true
                    headers: {request: {remove: [x-internal]}, response: {set: {x-served-by: waypoint}}}
                  - match: [{uri: {exact: /old}}]
                    redirect: {uri: /new, authority: reviews, redirectCode: 301}
                  - match: [{uri: {regex: "/direct/.*"}}]
                    directResponse: {status: 418, body: {string: teapot}}
                  - match: [{uri: {prefix: /grpc}}]
                    fault: {abort: {percentage: {value: 100}, grpcStatus: UNAVAILABLE}}
                    route: [{destination: {host: reviews, subset: v3}}]
                  - route: [{destination: {host: reviews, subset: v3}}]
                """);
        String route = "reviews.default.svc.cluster.local:9080";
        await().atMost(WAIT)
                .until(() -> client.nacks() > 0
                        || (client.acks() > acksBefore
                                && config.get().routes().containsKey(route)
                                && config.get()
                                                .routes()
                                                .get(route)
                                                .virtualHosts()
                                                .getFirst()
                                                .routes()
                                                .size()
                                        == 5));
        await().pollDelay(Duration.ofMillis(300)).atMost(WAIT).until(() -> true);
        assertThat(client.nacks()).as("NACK: %s", client.lastNack()).isZero();
    }

    /** The same for an ingress gateway configured with the Gateway API: every HTTPRoute match and filter at once. */
    @Test
    void everyHttpRouteFeatureAtAnIngressGatewayIsAccepted() throws IOException {
        AtomicReference<WaypointConfig> edgeConfig = new AtomicReference<>(WaypointConfig.EMPTY);
        AdsClient edge = istiodLite.subscribe(IstiodLite.EDGE_GATEWAY, edgeConfig::set);
        await().atMost(WAIT).until(() -> edge.acks() >= 2);
        long acksBefore = edge.acks();
        Files.writeString(folder.resolve("20-edge-everything.yaml"), """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners:
                  - {name: http, port: 80, protocol: HTTP}
                  - {name: db, port: 5432, protocol: TCP}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: everything, namespace: default}
                spec:
                  parentRefs: [{name: edge, sectionName: http}]
                  hostnames: [shop.default.svc.cluster.local]
                  rules:
                  - matches:
                    - path: {type: PathPrefix, value: /api}
                      method: GET
                      headers: [{name: x-a, value: "1"}, {type: RegularExpression, name: x-c, value: "r.*"}]
                      queryParams: [{name: q, value: v}]
                    filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier: {set: [{name: x-r, value: "1"}], add: [{name: x-s, value: "2"}], remove: [x-internal]}
                    - type: ResponseHeaderModifier
                      responseHeaderModifier: {set: [{name: x-served-by, value: edge}]}
                    - type: URLRewrite
                      urlRewrite: {hostname: reviews.default.svc.cluster.local, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}
                    - type: RequestMirror
                      requestMirror: {backendRef: {name: ratings, port: 9080}}
                    backendRefs:
                    - name: reviews
                      port: 9080
                      weight: 70
                      filters:
                      - type: RequestHeaderModifier
                        requestHeaderModifier: {set: [{name: x-backend, value: reviews}]}
                      - type: ResponseHeaderModifier
                        responseHeaderModifier: {remove: [x-internal]}
                    - {name: ratings, port: 9080, weight: 30}
                    timeouts: {request: 5s, backendRequest: 2s}
                    retry: {attempts: 3, backoff: 50ms, codes: [502, 503, 504]}
                  - matches: [{path: {type: Exact, value: /old}}]
                    filters:
                    - type: RequestRedirect
                      requestRedirect: {scheme: https, hostname: shop.default.svc.cluster.local, statusCode: 301}
                  - matches: [{path: {type: RegularExpression, value: "/full/.*"}}]
                    filters:
                    - type: URLRewrite
                      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /index}}
                    backendRefs: [{name: reviews, port: 9080}]
                  - backendRefs: [{name: reviews, port: 9080}]
                ---
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TCPRoute
                metadata: {name: db, namespace: default}
                spec:
                  parentRefs: [{name: edge, sectionName: db}]
                  rules: [{backendRefs: [{name: reviews, port: 9080}]}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews-at-the-edge, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy:
                    connectionPool: {tcp: {idleTimeout: 10m, maxConnectionDuration: 1h}, http: {maxRequestsPerConnection: 5}}
                    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
                """);
        await().atMost(WAIT)
                .until(() -> edge.nacks() > 0
                        || (edge.acks() > acksBefore
                                && edgeConfig.get().listeners().values().stream()
                                        .anyMatch(l -> l.port() == 5432 && l.kind() instanceof ListenerConfig.Tcp)
                                && edgeConfig.get().routes().values().stream()
                                        .anyMatch(r -> r.virtualHosts().stream()
                                                .anyMatch(v -> v.routes().size() >= 4))));
        await().pollDelay(Duration.ofMillis(500)).atMost(WAIT).until(() -> true);
        assertThat(edge.nacks()).as("NACK: %s", edge.lastNack()).isZero();
        var tcp = edgeConfig.get().listeners().values().stream()
                .filter(l -> l.port() == 5432)
                .map(l -> (ListenerConfig.Tcp) l.kind())
                .findFirst()
                .orElseThrow();
        assertThat(tcp.clusters())
                .extracting(ListenerConfig.Tcp.ClusterWeight::cluster)
                .containsExactly("outbound|9080||reviews.default.svc.cluster.local");
    }

    /** Seed 05 with its selector replaced by targetRefs to the reviews Service, as a user moves it to ambient. */
    private static String seed05RetargetedToReviews() throws IOException {
        return Files.readString(SEEDS.resolve("05-authorizationpolicy-productpage-policy.yaml"))
                .replaceAll(
                        "(?s)  selector:\\n    matchLabels:\\n      app: [a-z-]+\\n",
                        "  targetRefs: [{kind: Service, group: \"\", name: reviews}]\n");
    }

    @Test
    void authorizationPoliciesOnTheWaypointAreAcceptedAndBecomeRbacFilters() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        String retargeted = seed05RetargetedToReviews();
        assertThat(retargeted).contains("targetRefs");
        Files.writeString(folder.resolve("20-seed05-retargeted.yaml"), retargeted);
        Files.writeString(folder.resolve("21-more-policies.yaml"), """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: no-trace, namespace: default}
                spec:
                  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
                  action: DENY
                  rules:
                  - to: [{operation: {methods: [TRACE], notPaths: ["/health*"], hosts: ["reviews"], ports: ["9080"]}}]
                    from: [{source: {notNamespaces: [kube-system], ipBlocks: ["198.18.0.0/15"], remoteIpBlocks: ["198.19.5.0/24"]}}]
                    when: [{key: "request.headers[x-debug]", values: ["*"]}]
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: audit-all, namespace: default}
                spec:
                  targetRefs: [{kind: Service, group: "", name: reviews}]
                  action: AUDIT
                  rules: [{to: [{operation: {paths: ["*.json", "/api/*"]}}], from: [{source: {serviceAccounts: [default/sleep]}}]}]
                """);

        IstiodLite.awaitAccepted(
                client,
                () -> config.get()
                        .listenerFor("198.19.0.20", 9080)
                        .map(l -> ((io.ambientjava.waypoint.config.ListenerConfig.Http) l.kind())
                                        .rbac()
                                        .size()
                                == 3)
                        .orElse(false));
        await().pollDelay(Duration.ofMillis(300)).atMost(WAIT).until(() -> true);
        assertThat(client.nacks())
                .as("a later push: NACK %s", client.lastNack())
                .isZero();
        var reviews = (io.ambientjava.waypoint.config.ListenerConfig.Http)
                config.get().listenerFor("198.19.0.20", 9080).orElseThrow().kind();
        assertThat(reviews.rbac())
                .extracting(io.ambientjava.waypoint.config.RbacFilterConfig::action)
                .containsExactly(
                        io.ambientjava.waypoint.config.RbacFilterConfig.Action.LOG,
                        io.ambientjava.waypoint.config.RbacFilterConfig.Action.DENY,
                        io.ambientjava.waypoint.config.RbacFilterConfig.Action.ALLOW);
        // ratings is reached only by the Gateway-wide DENY policy
        var ratings = (io.ambientjava.waypoint.config.ListenerConfig.Http)
                config.get().listenerFor("198.19.0.21", 9080).orElseThrow().kind();
        assertThat(ratings.rbac())
                .extracting(io.ambientjava.waypoint.config.RbacFilterConfig::action)
                .containsExactly(io.ambientjava.waypoint.config.RbacFilterConfig.Action.DENY);
    }

    @Test
    void aRequestAuthenticationWithInlineKeysAndRequestPrincipalRulesAreAccepted() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        String jwks = new io.ambientjava.waypoint.testsupport.Jwt().jwks();
        Files.writeString(folder.resolve("22-jwt.yaml"), """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: jwt, namespace: default}
                spec:
                  targetRefs: [{kind: Service, group: "", name: reviews}]
                  jwtRules:
                  - issuer: https://issuer.example
                    jwks: '%s'
                    audiences: [shop]
                    fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
                    outputClaimToHeaders: [{claim: sub, header: x-sub}]
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: require-jwt, namespace: default}
                spec:
                  targetRefs: [{kind: Service, group: "", name: reviews}]
                  rules:
                  - from: [{source: {requestPrincipals: ["https://issuer.example/*"]}}]
                    when: [{key: "request.auth.claims[group]", values: [admins]}]
                """.formatted(jwks));

        IstiodLite.awaitAccepted(
                client,
                () -> config.get()
                        .listenerFor("198.19.0.20", 9080)
                        .map(l -> ((io.ambientjava.waypoint.config.ListenerConfig.Http) l.kind())
                                .jwtAuthn()
                                .isPresent())
                        .orElse(false));
        await().pollDelay(Duration.ofMillis(300)).atMost(WAIT).until(() -> true);
        assertThat(client.nacks())
                .as("a later push: NACK %s", client.lastNack())
                .isZero();
        var reviews = (io.ambientjava.waypoint.config.ListenerConfig.Http)
                config.get().listenerFor("198.19.0.20", 9080).orElseThrow().kind();
        assertThat(reviews.jwtAuthn().orElseThrow().providers()).hasSize(1);
        assertThat(reviews.rbac()).hasSize(1);
    }

    @Test
    void aRequestAuthenticationWithAJwksUriIsAccepted() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        try (var jwks = new io.ambientjava.waypoint.testsupport.JwksServer(
                new io.ambientjava.waypoint.testsupport.Jwt().jwks())) {
            Files.writeString(folder.resolve("23-jwks-uri.yaml"), """
                    apiVersion: security.istio.io/v1
                    kind: RequestAuthentication
                    metadata: {name: jwt-remote, namespace: default}
                    spec:
                      targetRefs: [{kind: Service, group: "", name: reviews}]
                      jwtRules:
                      - issuer: https://issuer.example
                        jwksUri: %s
                    """.formatted(jwks.uri()));

            await().atMost(WAIT)
                    .until(() -> client.nacks() > 0
                            || config.get()
                                    .listenerFor("198.19.0.20", 9080)
                                    .map(l -> ((io.ambientjava.waypoint.config.ListenerConfig.Http) l.kind())
                                            .jwtAuthn()
                                            .isPresent())
                                    .orElse(false));
            await().pollDelay(Duration.ofMillis(300)).atMost(WAIT).until(() -> true);
            assertThat(client.nacks()).as("NACK: %s", client.lastNack()).isZero();
            var reviews = (io.ambientjava.waypoint.config.ListenerConfig.Http)
                    config.get().listenerFor("198.19.0.20", 9080).orElseThrow().kind();
            var keys = reviews.jwtAuthn().orElseThrow().providers().getFirst().keys();
            assertThat(keys).isInstanceOf(io.ambientjava.waypoint.config.JwksSource.Remote.class);
            var remote = (io.ambientjava.waypoint.config.JwksSource.Remote) keys;
            assertThat(remote.uri().toString()).isEqualTo(jwks.uri());
            assertThat(remote.cacheDuration()).isEqualTo(Duration.ofMinutes(5));
        }
    }

    /**
     * {@code istio.io/waypoint-for: all}: the pods' own addresses get the {@code inbound-pod} chains, with the
     * policy that targets the waypoint, and the ORIGINAL_DST cluster; all accepted as istiod-lite sends them.
     */
    @Test
    void aWaypointForAllTrafficGetsAcceptedChainsForThePodsOwnAddresses() throws IOException {
        await().atMost(WAIT).until(() -> client.acks() >= 4);
        Files.writeString(
                folder.resolve("00-mesh.yaml"),
                mesh().replace(
                                "metadata: {name: waypoint, namespace: default}\n",
                                "metadata: {name: waypoint, namespace: default, labels: {istio.io/waypoint-for: all}}\n"));
        Files.writeString(folder.resolve("30-no-admin.yaml"), """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: no-admin, namespace: default}
                spec:
                  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
                  action: DENY
                  rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
                """);
        IstiodLite.awaitAccepted(
                client, () -> config.get().listenerFor("198.18.1.10", 8080).isPresent());
        ListenerConfig reviewsV1 = config.get().listenerFor("198.18.1.10", 8080).orElseThrow();
        assertThat(reviewsV1.name()).isEqualTo("inbound-pod|198.18.1.10");
        assertThat(config.get().listenerFor("198.18.1.10", 15000)).contains(reviewsV1);
        assertThat(reviewsV1.workload().orElseThrow().identity())
                .contains("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(((ListenerConfig.Http) reviewsV1.kind()).rbac()).isNotEmpty();
        assertThat(config.get().clusters().get("inbound-pod|passthrough").originalDestination())
                .isTrue();
        assertThat(config.get().listenerFor("198.19.0.20", 9080).orElseThrow().name())
                .as("the service listeners stay")
                .startsWith("inbound-vip|9080|http|reviews");
        assertThat(client.nacks()).as(client.lastNack()).isZero();
    }

    /** Bookinfo-style services behind a namespace waypoint, pods v1..v3 of each. */
    private static String mesh() {
        List<String> docs = new ArrayList<>(List.of("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: default, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
                """, """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: waypoint, namespace: default}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                """, """
                apiVersion: v1
                kind: Service
                metadata: {name: waypoint, namespace: default, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
                spec: {clusterIP: 198.19.0.2, ports: [{name: mesh, port: 15008}]}
                """));
        int vip = 20;
        int ip = 10;
        for (String app : List.of("reviews", "ratings", "product-api")) {
            docs.add("""
                    apiVersion: v1
                    kind: Service
                    metadata: {name: %s, namespace: default}
                    spec: {clusterIP: 198.19.0.%d, selector: {app: %s}, ports: [{name: http, port: 9080, targetPort: 8080}]}
                    """.formatted(app, vip++, app));
            for (String version : List.of("v1", "v2", "v3")) {
                docs.add("""
                        apiVersion: v1
                        kind: Pod
                        metadata: {name: %s-%s, namespace: default, labels: {app: %s, version: %s}}
                        spec:
                          serviceAccountName: %s
                          nodeName: node-a
                          containers: [{name: app, image: app, ports: [{containerPort: 8080}]}]
                        status: {phase: Running, podIP: 198.18.1.%d}
                        """.formatted(app, version, app, version, app, ip++));
            }
            docs.add("""
                    apiVersion: networking.istio.io/v1
                    kind: DestinationRule
                    metadata: {name: %s-subsets, namespace: default}
                    spec:
                      host: %s
                      subsets:
                      - {name: v1, labels: {version: v1}}
                      - {name: v2, labels: {version: v2}}
                      - {name: v3, labels: {version: v3}}
                    """.formatted(app, app));
        }
        return String.join("---\n", docs);
    }
}
