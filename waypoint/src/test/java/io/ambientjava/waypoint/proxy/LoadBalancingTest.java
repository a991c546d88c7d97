package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadBalancingTest {

    private final TestBed bed = new TestBed();
    private final TestUpstream a = bed.upstream("a");
    private final TestUpstream b = bed.upstream("b");
    private final TestUpstream c = bed.upstream("c");

    @AfterEach
    void close() {
        bed.close();
    }

    private void setUp(Cluster.LbPolicy policy, RouteAction.HashPolicy... hash) {
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder()
                        .setCluster(TestBed.DEFAULT_CLUSTER)
                        .addAllHashPolicy(List.of(hash)))
                .build()));
        bed.cluster(
                Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).setLbPolicy(policy).build(), a, b, c);
    }

    @Test
    void roundRobinTakesTurns() {
        setUp(Cluster.LbPolicy.ROUND_ROBIN);
        for (int i = 0; i < 30; i++) {
            assertThat(bed.get("/rr").statusCode()).isEqualTo(200);
        }
        assertThat(List.of(a.count.get(), b.count.get(), c.count.get())).containsOnly(10);
    }

    @Test
    void randomSpreadsRoughlyEvenly() {
        setUp(Cluster.LbPolicy.RANDOM);
        for (int i = 0; i < 300; i++) {
            bed.get("/r");
        }
        assertThat(List.of(a.count.get(), b.count.get(), c.count.get()))
                .allSatisfy(n -> assertThat(n).isBetween(60, 140));
    }

    @Test
    void consistentHashOnHeaderAndCookieKeepsAUserOnOneHost() {
        setUp(
                Cluster.LbPolicy.RING_HASH,
                RouteAction.HashPolicy.newBuilder()
                        .setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName("x-user"))
                        .build());
        Set<String> hostsForAlice = new HashSet<>();
        Set<String> hostsForAll = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            hostsForAlice.add(bed.send(HttpRequest.newBuilder(URI.create(bed.url("/h")))
                            .header("x-user", "alice")
                            .build())
                    .headers()
                    .firstValue("x-upstream")
                    .orElseThrow());
        }
        for (int i = 0; i < 60; i++) {
            hostsForAll.add(bed.send(HttpRequest.newBuilder(URI.create(bed.url("/h")))
                            .header("x-user", "user-" + i)
                            .build())
                    .headers()
                    .firstValue("x-upstream")
                    .orElseThrow());
        }
        assertThat(hostsForAlice).hasSize(1);
        assertThat(hostsForAll).hasSize(3);
    }

    @Test
    void consistentHashOnCookieAndSourceIp() {
        setUp(
                Cluster.LbPolicy.MAGLEV,
                RouteAction.HashPolicy.newBuilder()
                        .setCookie(RouteAction.HashPolicy.Cookie.newBuilder().setName("session"))
                        .setTerminal(true)
                        .build(),
                RouteAction.HashPolicy.newBuilder()
                        .setConnectionProperties(RouteAction.HashPolicy.ConnectionProperties.newBuilder()
                                .setSourceIp(true))
                        .build());
        Set<String> withCookie = new HashSet<>();
        Set<String> fromOneIp = new HashSet<>();
        for (int i = 0; i < 15; i++) {
            withCookie.add(bed.send(HttpRequest.newBuilder(URI.create(bed.url("/c")))
                            .header("cookie", "theme=dark; session=s-42")
                            .build())
                    .headers()
                    .firstValue("x-upstream")
                    .orElseThrow());
            fromOneIp.add(bed.get("/ip").headers().firstValue("x-upstream").orElseThrow());
        }
        assertThat(withCookie).hasSize(1);
        assertThat(fromOneIp).hasSize(1);
    }

    @Test
    void consistentHashOnAQueryParameter() {
        setUp(
                Cluster.LbPolicy.RING_HASH,
                RouteAction.HashPolicy.newBuilder()
                        .setQueryParameter(RouteAction.HashPolicy.QueryParameter.newBuilder()
                                .setName("user"))
                        .build());
        Set<String> forBob = new HashSet<>();
        Set<String> forAll = new HashSet<>();
        for (int i = 0; i < 15; i++) {
            forBob.add(bed.get("/q?user=bob").headers().firstValue("x-upstream").orElseThrow());
        }
        for (int i = 0; i < 60; i++) {
            forAll.add(
                    bed.get("/q?user=u" + i).headers().firstValue("x-upstream").orElseThrow());
        }
        assertThat(forBob).hasSize(1);
        assertThat(forAll).hasSize(3);
    }
}
