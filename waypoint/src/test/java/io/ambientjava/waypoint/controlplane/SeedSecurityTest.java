package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.testsupport.IstiodLite;
import io.ambientjava.waypoint.testsupport.Jwt;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.ambientjava.waypoint.xds.AdsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeds 05, 12 and 15 (selector AuthorizationPolicies with HTTP rules, read unmodified) enforced end to end: the real
 * istiod-lite translates a config folder where the selected workloads' services use a waypoint, the waypoint's ADS
 * client applies what it sends, and HTTP requests go through the waypoint's listeners to real backends. Callers'
 * SPIFFE identities are given per listener, as the HBONE inbound hands them over.
 */
class SeedSecurityTest {

    /** istiod-lite keeps a byte-identical copy of ../shared/seed-examples in its test resources. */
    private static final Path SEEDS = Path.of("../istiod-lite/src/test/resources/seed-examples");

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String PRODUCTPAGE_VIP = "198.19.0.30";
    private static final String PRODUCT_API_VIP = "198.19.0.31";
    private static final String PRODUCTPAGE_SA = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage";
    private static final String REVIEWS_SA = "spiffe://cluster.local/ns/default/sa/reviews";
    private static final String GOOGLE = "https://accounts.google.com";

    @TempDir
    Path folder;

    private final TestBed bed = new TestBed();
    private final TestUpstream productpage = bed.upstream("productpage");
    private final TestUpstream productApi = bed.upstream("product-api");
    private final List<DownstreamListener> listeners = new ArrayList<>();
    private final Jwt google = new Jwt("google-key");
    private IstiodLite istiodLite;
    private AdsClient client;

    @BeforeEach
    void start() throws IOException {
        Files.writeString(folder.resolve("00-mesh.yaml"), mesh());
        istiodLite = IstiodLite.start(folder);
        client = istiodLite.subscribe(IstiodLite.WAYPOINT, bed.runtime::apply);
    }

    @AfterEach
    void stop() throws Exception {
        listeners.forEach(DownstreamListener::close);
        if (istiodLite != null) {
            istiodLite.close();
        }
        bed.close();
    }

    @Test
    void seed05OnlyTheProductpagePrincipalMayGetProducts() throws IOException {
        addSeed("05-authorizationpolicy-productpage-policy.yaml");
        awaitListener(PRODUCTPAGE_VIP, 9080, l -> !l.rbac().isEmpty());
        int asProductpage = listenerFor(PRODUCTPAGE_VIP, 9080, Optional.of(PRODUCTPAGE_SA));
        int asReviews = listenerFor(PRODUCTPAGE_VIP, 9080, Optional.of(REVIEWS_SA));
        int anonymous = listenerFor(PRODUCTPAGE_VIP, 9080, Optional.empty());

        assertThat(send(asProductpage, "GET", "/api/v1/products").statusCode()).isEqualTo(200);
        assertThat(send(asProductpage, "GET", "/api/v1/products/7?page=2").statusCode())
                .isEqualTo(200);
        assertDenied(send(asProductpage, "POST", "/api/v1/products"));
        assertDenied(send(asProductpage, "GET", "/productpage"));
        assertDenied(send(asReviews, "GET", "/api/v1/products"));
        assertDenied(send(anonymous, "GET", "/api/v1/products"));
        assertThat(productpage.count.get()).isEqualTo(2);
    }

    @Test
    void seed12NeedsTheUserHeaderAndAGoogleIssuedTokenForGet() throws IOException {
        Files.writeString(folder.resolve("20-request-authentication.yaml"), """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: google-jwt, namespace: default}
                spec:
                  selector: {matchLabels: {app: productpage}}
                  jwtRules:
                  - issuer: %s
                    jwks: '%s'
                """.formatted(GOOGLE, google.jwks()));
        addSeed("12-authorizationpolicy-rate-limit.yaml");
        awaitListener(
                PRODUCTPAGE_VIP, 9080, l -> !l.rbac().isEmpty() && l.jwtAuthn().isPresent());
        int caller = listenerFor(PRODUCTPAGE_VIP, 9080, Optional.of(REVIEWS_SA));
        String token = google.token(GOOGLE, "user-1", "bookinfo", Instant.now().plusSeconds(600));

        assertThat(send(caller, "GET", "/productpage", "x-user-id", "u1", "authorization", "Bearer " + token)
                        .statusCode())
                .isEqualTo(200);
        assertDenied(send(caller, "GET", "/productpage", "authorization", "Bearer " + token));
        assertDenied(send(caller, "GET", "/productpage", "x-user-id", "u1")); // no token: unauthenticated
        assertDenied(send(caller, "POST", "/productpage", "x-user-id", "u1", "authorization", "Bearer " + token));
        // a token from the right issuer signed by a key it never published
        String forged = new Jwt("google-key")
                .token(GOOGLE, "user-1", "bookinfo", Instant.now().plusSeconds(600));
        HttpResponse<String> bad =
                send(caller, "GET", "/productpage", "x-user-id", "u1", "authorization", "Bearer " + forged);
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(productpage.count.get()).isEqualTo(1);
    }

    @Test
    void seed15NeedsTheUserHeaderForGetOnProductApi() throws IOException {
        addSeed("15-authorizationpolicy-product-api-rate-limit.yaml");
        awaitListener(PRODUCT_API_VIP, 8080, l -> !l.rbac().isEmpty());
        int caller = listenerFor(PRODUCT_API_VIP, 8080, Optional.of(REVIEWS_SA));

        assertThat(send(caller, "GET", "/api/v1/items", "x-user-id", "u1").statusCode())
                .isEqualTo(200);
        assertDenied(send(caller, "GET", "/api/v1/items"));
        assertDenied(send(caller, "DELETE", "/api/v1/items", "x-user-id", "u1"));
        assertThat(productApi.count.get()).isEqualTo(1);
        // productpage, which the selector does not select, is not restricted
        awaitListener(PRODUCTPAGE_VIP, 9080, l -> l.rbac().isEmpty());
        int page = listenerFor(PRODUCTPAGE_VIP, 9080, Optional.empty());
        assertThat(send(page, "POST", "/anything").statusCode()).isEqualTo(200);
    }

    @Test
    void aSelectorDenyPolicyWithAHeaderConditionIsEnforcedAtTheWaypoint() throws IOException {
        Files.writeString(folder.resolve("20-deny.yaml"), """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: no-debug, namespace: default}
                spec:
                  selector: {matchLabels: {app: productpage}}
                  action: DENY
                  rules: [{when: [{key: "request.headers[x-debug]", values: ["*"]}]}]
                """);
        awaitListener(PRODUCTPAGE_VIP, 9080, l -> !l.rbac().isEmpty());
        int caller = listenerFor(PRODUCTPAGE_VIP, 9080, Optional.of(REVIEWS_SA));

        assertThat(send(caller, "GET", "/productpage").statusCode()).isEqualTo(200);
        assertDenied(send(caller, "GET", "/productpage", "x-debug", "1"));
    }

    private static void assertDenied(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).isEqualTo("RBAC: access denied");
    }

    private void addSeed(String seed) throws IOException {
        Files.writeString(folder.resolve("10-" + seed), Files.readString(SEEDS.resolve(seed)));
    }

    private void awaitListener(String vip, int port, Predicate<ListenerConfig.Http> ready) {
        IstiodLite.awaitAccepted(
                client,
                () -> bed.runtime
                        .config()
                        .listenerFor(vip, port)
                        .map(l -> l.kind() instanceof ListenerConfig.Http http && ready.test(http))
                        .orElse(false));
    }

    /** A loopback listener standing for the service VIP whose clients carry {@code identity}, as HBONE hands over. */
    private int listenerFor(String vip, int port, Optional<String> identity) {
        DownstreamListener listener = bed.listen(vip, port, identity.map(SpiffeId::parse));
        listeners.add(listener);
        return listener.port();
    }

    private HttpResponse<String> send(int port, String method, String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return bed.send(request.build());
    }

    /**
     * Namespace {@code default} bound to waypoint {@code default/waypoint}; productpage and product-api each with one
     * pod on loopback whose target port is the test backend's.
     */
    private String mesh() {
        return String.join(
                "---\n",
                List.of(
                        """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default, labels: {istio.io/use-waypoint: waypoint}}
                """,
                        """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: waypoint, namespace: default}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                """,
                        """
                apiVersion: v1
                kind: Service
                metadata: {name: waypoint, namespace: default, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
                spec: {clusterIP: 198.19.0.2, ports: [{name: mesh, port: 15008}]}
                """,
                        service("productpage", PRODUCTPAGE_VIP, 9080, productpage),
                        service("product-api", PRODUCT_API_VIP, 8080, productApi),
                        pod("productpage", "bookinfo-productpage"),
                        pod("product-api", "product-api")));
    }

    private static String service(String app, String vip, int port, TestUpstream backend) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: default}
                spec: {clusterIP: %s, selector: {app: %s}, ports: [{name: http, port: %d, targetPort: %d}]}
                """.formatted(app, vip, app, port, backend.address().getPort());
    }

    private static String pod(String app, String serviceAccount) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s-v1, namespace: default, labels: {app: %s, version: v1}}
                spec:
                  serviceAccountName: %s
                  nodeName: node-a
                  containers: [{name: app, image: app}]
                status: {phase: Running, podIP: 127.0.0.1}
                """.formatted(app, app, serviceAccount);
    }
}
