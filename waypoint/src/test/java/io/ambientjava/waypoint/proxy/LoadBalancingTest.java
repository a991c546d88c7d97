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

    private static Cluster slowStarting(Cluster.LbPolicy policy, boolean slowStart) {
        var cluster = Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).setLbPolicy(policy);
        var config = Cluster.SlowStartConfig.newBuilder()
                .setSlowStartWindow(com.google.protobuf.Duration.newBuilder().setSeconds(3));
        if (slowStart && policy == Cluster.LbPolicy.ROUND_ROBIN) {
            cluster.setRoundRobinLbConfig(
                    Cluster.RoundRobinLbConfig.newBuilder().setSlowStartConfig(config));
        } else if (slowStart) {
            cluster.setLeastRequestLbConfig(
                    Cluster.LeastRequestLbConfig.newBuilder().setSlowStartConfig(config));
        }
        return cluster.build();
    }

    /**
     * Requests right after {@code c} joins a cluster whose {@code a} and {@code b} are past the 3 s window: how many
     * {@code c} took.
     */
    private int sharedByANewHost(Cluster cluster) throws Exception {
        bed.configure(List.of(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster(TestBed.DEFAULT_CLUSTER))
                .build()));
        bed.cluster(cluster, a, b);
        assertThat(bed.get("/warm").statusCode()).isEqualTo(200);
        Thread.sleep(3_300);
        bed.cluster(cluster, a, b, c);
        for (int i = 0; i < 210; i++) {
            assertThat(bed.get("/after-c-joined").statusCode()).isEqualTo(200);
        }
        return c.count.get();
    }

    @Test
    void aHostThatJustJoinedGetsTenPercentOfItsShareDuringSlowStart() throws Exception {
        // a and b weigh 1 each, c 0.1 at first, growing linearly over 3 s: a small share of the 210 requests,
        // against a third (70) without slow start
        assertThat(sharedByANewHost(slowStarting(Cluster.LbPolicy.ROUND_ROBIN, true)))
                .isBetween(1, 45);
    }

    @Test
    void aHostThatJustJoinedALeastRequestClusterGetsTenPercentOfItsShareDuringSlowStart() throws Exception {
        assertThat(sharedByANewHost(slowStarting(Cluster.LbPolicy.LEAST_REQUEST, true)))
                .isBetween(1, 45);
    }

    @Test
    void withoutSlowStartAHostThatJustJoinedTakesItsTurnAtOnce() throws Exception {
        assertThat(sharedByANewHost(slowStarting(Cluster.LbPolicy.ROUND_ROBIN, false)))
                .isEqualTo(70);
    }
}
