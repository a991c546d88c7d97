package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.Envoy;
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

/** jwt_authn before RBAC: tokens verified with inline keys, their payload read by requestPrincipals rules. */
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
