package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.waypoint.telemetry.AccessLog;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.Rbac;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RBAC filters on the data path: who may call, with which method and path, DENY before ALLOW, LOG audits. */
class RbacTest {

    private static final String ALICE = "spiffe://cluster.local/ns/default/sa/alice";
    private static final String BOB = "spiffe://cluster.local/ns/default/sa/bob";

    private final TestBed bed = new TestBed();
    private final TestUpstream upstream = bed.upstream("v1");
    private final List<DownstreamListener> identified = new ArrayList<>();

    @BeforeEach
    void clusters() {
        bed.cluster(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build(), upstream);
        bed.push(Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build())));
    }

    @AfterEach
    void close() {
        identified.forEach(DownstreamListener::close);
        bed.close();
    }

    private void listener(HttpFilter... rbac) {
        bed.push(Rbac.withFilters(Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST), rbac));
    }

    /** A listener whose clients all carry this SPIFFE identity, as HBONE inbound connections do. */
    private int portAs(String spiffe) {
        DownstreamListener l = bed.listen(TestBed.VIP, TestBed.PORT, Optional.of(SpiffeId.parse(spiffe)));
        identified.add(l);
        return l.port();
    }

    private HttpResponse<String> send(int port, String method, String path) {
        return bed.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build());
    }

    private RequestRecord lastRecord(int count) {
        await().atMost(Duration.ofSeconds(5)).until(() -> bed.records.size() >= count);
        return bed.records.get(count - 1);
    }

    @Test
    void anAllowedPrincipalPassesAndAnotherIsRefusedWith403() {
        listener(Rbac.filter(RBAC.Action.ALLOW, Rbac.policy(Rbac.anyPermission(), Rbac.principalName(ALICE))));
        int alice = portAs(ALICE);
        int bob = portAs(BOB);

        assertThat(send(alice, "GET", "/").statusCode()).isEqualTo(200);
        HttpResponse<String> denied = send(bob, "GET", "/");
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).isEqualTo("RBAC: access denied");
        assertThat(lastRecord(2).responseFlags()).isEqualTo("RBAC");
        assertThat(lastRecord(2).status()).isEqualTo(403);
        // a plaintext client has no principal at all
        assertThat(bed.get("/").statusCode()).isEqualTo(403);
        assertThat(upstream.count.get()).isEqualTo(1);
    }

    @Test
    void aMethodAndPathPrefixRuleAllowsOnlyMatchingRequests() {
        listener(Rbac.filter(
                RBAC.Action.ALLOW,
                Rbac.policy(
                        Rbac.and(
                                Rbac.method("GET"),
                                Rbac.path(StringMatcher.newBuilder()
                                        .setPrefix("/api/v1/products")
                                        .build())),
                        Rbac.principalName(ALICE))));
        int alice = portAs(ALICE);

        assertThat(send(alice, "GET", "/api/v1/products/1?x=y").statusCode()).isEqualTo(200);
        assertThat(send(alice, "POST", "/api/v1/products/1").statusCode()).isEqualTo(403);
        assertThat(send(alice, "GET", "/other").statusCode()).isEqualTo(403);
    }

    @Test
    void denyWinsOverAllow() {
        listener(
                Rbac.filter(
                        RBAC.Action.DENY,
                        Rbac.policy(
                                Rbac.path(StringMatcher.newBuilder()
                                        .setExact("/admin")
                                        .build()),
                                Rbac.anyPrincipal())),
                Rbac.filter(RBAC.Action.ALLOW, Rbac.policy(Rbac.anyPermission(), Rbac.anyPrincipal())));

        assertThat(bed.get("/admin").statusCode()).isEqualTo(403);
        assertThat(bed.get("/admin/x").statusCode()).isEqualTo(200);
        assertThat(bed.get("/").statusCode()).isEqualTo(200);
    }

    @Test
    void anAllowFilterWithoutPoliciesRefusesEverything() {
        listener(Rbac.filter(RBAC.Action.ALLOW));

        assertThat(bed.get("/").statusCode()).isEqualTo(403);
        assertThat(upstream.count.get()).isZero();
    }

    @Test
    void aLogFilterNeverDeniesAndItsMatchIsInTheAccessLog() {
        listener(Rbac.filter(
                RBAC.Action.LOG,
                Rbac.policy(
                        Rbac.path(
                                StringMatcher.newBuilder().setPrefix("/audited").build()),
                        Rbac.anyPrincipal())));

        assertThat(bed.get("/audited").statusCode()).isEqualTo(200);
        RequestRecord audited = lastRecord(1);
        assertThat(audited.rbacLogged()).containsExactly("policy-0");
        assertThat(AccessLog.format(audited)).endsWith(" rbac_log=policy-0");

        assertThat(bed.get("/plain").statusCode()).isEqualTo(200);
        assertThat(lastRecord(2).rbacLogged()).isEmpty();
        assertThat(AccessLog.format(lastRecord(2))).doesNotContain("rbac_log");
    }

    @Test
    void aGrpcClientIsRefusedWithPermissionDenied() throws Exception {
        listener(Rbac.filter(RBAC.Action.ALLOW));
        try (var client = new io.ambientjava.waypoint.testsupport.H2Client(bed.group, bed.listener.localAddress())) {
            var headers = io.ambientjava.waypoint.testsupport.H2Client.request("POST", "/pkg.Echo/Say", "reviews")
                    .set("content-type", "application/grpc");
            var response = client.exchange(headers, List.of());
            assertThat(response.headers().status().toString()).isEqualTo("200");
            assertThat(response.headers().get("grpc-status").toString()).isEqualTo("7");
            assertThat(response.headers().get("grpc-message").toString()).isEqualTo("RBAC: access denied");
        }
        assertThat(lastRecord(1).responseFlags()).isEqualTo("RBAC");
        assertThat(upstream.count.get()).isZero();
    }
}
