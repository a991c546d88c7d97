package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.JwksServer;
import io.ambientjava.waypoint.testsupport.Jwt;
import io.ambientjava.waypoint.testsupport.Rbac;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** jwt_authn before RBAC: tokens verified with inline or fetched keys, their payload read by requestPrincipals rules. */
class JwtAuthnTest {

    private final TestBed bed = new TestBed();
    private final TestUpstream upstream = bed.upstream("v1");
    private final Jwt issuer = new Jwt();

    @BeforeEach
    void clusters() {
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), upstream);
        bed.push(Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build())));
    }

    @AfterEach
    void close() {
        bed.close();
    }

    private void listener(HttpFilter... filters) {
        bed.push(Rbac.withFilters(Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST), filters));
    }

    private HttpResponse<String> get(String path, String... headers) {
        var b = HttpRequest.newBuilder(URI.create(bed.url(path))).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return bed.send(b.build());
    }

    @Test
    void aValidTokenPassesWithoutItAndAnInvalidOneIsRefusedWith401() {
        listener(Jwt.filter(issuer.provider()
                .setForwardPayloadHeader("x-jwt-payload")
                .addClaimToHeaders(
                        JwtClaimToHeader.newBuilder().setClaimName("sub").setHeaderName("x-sub"))
                .build()));

        assertThat(get("/").statusCode()).isEqualTo(200); // no token: allowed, unauthenticated
        assertThat(get("/", "authorization", "Bearer " + issuer.token("alice")).statusCode())
                .isEqualTo(200);
        var seen = upstream.seen.getLast().headers();
        assertThat(seen).doesNotContainKey("authorization");
        assertThat(seen).containsEntry("x-sub", "alice").containsKey("x-jwt-payload");

        HttpResponse<String> forged = get("/", "authorization", "Bearer " + new Jwt().token("alice"));
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(forged.body()).isEqualTo("Jwt verification fails");
        assertThat(forged.headers().firstValue("www-authenticate"))
                .hasValueSatisfying(v -> assertThat(v).contains("invalid_token"));
        String expired = issuer.token(Jwt.ISSUER, "alice", "shop", Instant.now().minusSeconds(3600));
        assertThat(get("/", "authorization", "Bearer " + expired).body()).isEqualTo("Jwt is expired");
        String otherAudience =
                issuer.token(Jwt.ISSUER, "alice", "elsewhere", Instant.now().plusSeconds(600));
        assertThat(get("/", "authorization", "Bearer " + otherAudience).statusCode())
                .isEqualTo(401);
        assertThat(get("/", "authorization", "Bearer not-a-jwt").statusCode()).isEqualTo(401);
        assertThat(upstream.count.get()).isEqualTo(2);
    }

    private HttpResponse<String> withToken(String token) {
        return get("/", "authorization", "Bearer " + token);
    }

    @Test
    void remoteKeysAreFetchedOnceAndCached() {
        try (JwksServer jwks = new JwksServer(issuer.jwks())) {
            listener(Jwt.filter(Jwt.remoteProvider(jwks.uri(), Duration.ofSeconds(2), Duration.ofMinutes(5))
                    .build()));

            assertThat(withToken(issuer.token("alice")).statusCode()).isEqualTo(200);
            assertThat(withToken(issuer.token("bob")).statusCode()).isEqualTo(200);
            assertThat(jwks.fetches.get()).isEqualTo(1);
            assertThat(upstream.seen.getLast().headers()).doesNotContainKey("authorization");
            HttpResponse<String> forged = withToken(new Jwt().token("alice"));
            assertThat(forged.statusCode()).isEqualTo(401);
            assertThat(forged.body()).isEqualTo("Jwt verification fails");
        }
    }

    @Test
    void aRequestWaitsForTheFirstFetch() {
        try (JwksServer jwks = new JwksServer(issuer.jwks())) {
            jwks.delay(Duration.ofMillis(400));
            listener(Jwt.filter(Jwt.remoteProvider(jwks.uri(), Duration.ofSeconds(3), Duration.ofMinutes(5))
                    .build()));

            assertThat(withToken(issuer.token("alice")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aFetchSlowerThanTheTimeoutRefusesWithEnvoysMessage() {
        try (JwksServer jwks = new JwksServer(issuer.jwks())) {
            jwks.delay(Duration.ofSeconds(3));
            listener(Jwt.filter(Jwt.remoteProvider(jwks.uri(), Duration.ofMillis(300), Duration.ofMinutes(5))
                    .build()));

            long start = System.nanoTime();
            HttpResponse<String> refused = withToken(issuer.token("alice"));
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).isEqualTo("Jwks remote fetch is failed");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            // a request without a token never waits for keys
            assertThat(get("/").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aTokenWithANewKidIsVerifiedAfterARefetch() {
        Jwt rotated = new Jwt("k2");
        try (JwksServer jwks = new JwksServer(issuer.jwks())) {
            listener(Jwt.filter(Jwt.remoteProvider(jwks.uri(), Duration.ofSeconds(2), Duration.ofMinutes(5))
                    .build()));
            assertThat(withToken(issuer.token("alice")).statusCode()).isEqualTo(200);

            jwks.serve(rotated.jwks());
            assertThat(withToken(rotated.token("alice")).statusCode()).isEqualTo(200);
            assertThat(jwks.fetches.get()).isEqualTo(2);
            // the retired key is gone after the refetch
            assertThat(withToken(issuer.token("alice")).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void anIssuerDownAtStartIsRefusedThenUsedOnceItIsUp() {
        int port;
        try (JwksServer probe = new JwksServer("{}")) {
            port = probe.port();
        }
        String uri = "http://127.0.0.1:" + port + "/jwks";
        listener(Jwt.filter(Jwt.remoteProvider(uri, Duration.ofSeconds(1), Duration.ofMinutes(5))
                .build()));

        HttpResponse<String> refused = withToken(issuer.token("alice"));
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).isEqualTo("Jwks remote fetch is failed");

        try (JwksServer jwks = new JwksServer(issuer.jwks(), port)) {
            assertThat(withToken(issuer.token("alice")).statusCode()).isEqualTo(200);
            assertThat(jwks.fetches.get()).isEqualTo(1);
        }
    }

    @Test
    void aFailingRefreshKeepsTheLastGoodKeys() {
        try (JwksServer jwks = new JwksServer(issuer.jwks())) {
            listener(Jwt.filter(Jwt.remoteProvider(jwks.uri(), Duration.ofSeconds(1), Duration.ofMillis(200))
                    .build()));
            assertThat(withToken(issuer.token("alice")).statusCode()).isEqualTo(200);

            jwks.status(503);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (jwks.fetches.get() < 3 && System.nanoTime() < deadline) {
                assertThat(withToken(issuer.token("alice")).statusCode()).isEqualTo(200);
                sleep(Duration.ofMillis(50));
            }
            assertThat(jwks.fetches.get()).as("background refreshes").isGreaterThanOrEqualTo(3);
            assertThat(withToken(issuer.token("alice")).statusCode()).isEqualTo(200);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void rbacReadsTheVerifiedPayload() {
        Principal alice = Rbac.andIds(Jwt.claim("iss", Jwt.ISSUER), Jwt.claim("sub", "alice"));
        listener(
                Jwt.filter(issuer.provider().setForward(true).build()),
                Rbac.filter(RBAC.Action.ALLOW, Rbac.policy(Rbac.anyPermission(), alice)));

        assertThat(get("/", "authorization", "Bearer " + issuer.token("alice")).statusCode())
                .isEqualTo(200);
        assertThat(upstream.seen.getLast().headers()).containsKey("authorization"); // forward: true
        assertThat(get("/", "authorization", "Bearer " + issuer.token("bob")).statusCode())
                .isEqualTo(403);
        assertThat(get("/").statusCode()).isEqualTo(403); // no token, no request principal
    }
}
