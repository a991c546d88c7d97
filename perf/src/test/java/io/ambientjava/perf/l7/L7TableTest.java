package io.ambientjava.perf.l7;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class L7TableTest {

    private static final long MIB = 1024 * 1024;

    @Test
    void aHealthyRunIsJudgedTargetByTarget() {
        List<String[]> targets = L7Table.targets(report(waypoint(80 * MIB, 0, 0), l4(), nginx()));

        assertThat(targets).extracting(t -> t[0]).anyMatch(goal -> goal.startsWith("waypoint RSS"));
        assertThat(targets)
                .filteredOn(t -> t[0].startsWith("waypoint RSS"))
                .singleElement()
                .satisfies(t -> assertThat(t[2]).isEqualTo("PASS"));
    }

    @Test
    void aWaypointThatExitedGetsNoVerdictInsteadOfPassingOnZeroMemory() {
        List<String[]> targets = L7Table.targets(report(waypoint(0, 0, 0), l4(), nginx()));

        assertThat(targets).singleElement().satisfies(t -> {
            assertThat(t[1]).contains("waypoint was gone");
            assertThat(t[2]).isEqualTo("NO VERDICT");
        });
    }

    @Test
    void failedRequestsOrWrkErrorsGiveNoVerdict() {
        assertThat(L7Table.targets(report(waypoint(80 * MIB, 12, 0), l4(), nginx())))
                .singleElement()
                .satisfies(t -> assertThat(t[1]).contains("12 of 1000 fixed-rate requests failed"));
        assertThat(L7Table.targets(report(waypoint(80 * MIB, 0, 5), l4(), nginx())))
                .singleElement()
                .satisfies(t -> assertThat(t[1]).contains("wrk saw 5 errors"));
    }

    @Test
    void throughputIsJudgedAgainstNginxWithTlsOnBothHopsWhenItRan() {
        L7Result mtls = result(L7Variant.NGINX_MTLS, List.of("nginx"), 10 * MIB, 0, 0, 12_000);
        List<String[]> targets = L7Table.targets(report(waypoint(80 * MIB, 0, 0), l4(), nginx(), mtls));

        assertThat(targets)
                .filteredOn(t -> t[0].startsWith("max throughput"))
                .singleElement()
                .satisfies(t -> {
                    assertThat(t[0]).contains("nginx TLS both sides");
                    assertThat(t[1]).isEqualTo("0.83×");
                    assertThat(t[2]).isEqualTo("PASS");
                });
    }

    @Test
    void theGatewayIsJudgedProxyForProxyAgainstNginxOnTheSameRoute() {
        L7Result mtls = result(L7Variant.NGINX_MTLS, List.of("nginx"), 10 * MIB, 0, 0, 20_000);
        L7Result gateway = result(L7Variant.GATEWAY_MTLS, List.of("gateway"), 130 * MIB, 0, 0, 15_000);
        assertThat(L7Table.targets(report(gateway, mtls))).singleElement().satisfies(t -> {
            assertThat(t[0]).contains("proxy for proxy").contains("gateway-mtls against nginx-mtls");
            assertThat(t[1]).isEqualTo("0.75×");
            assertThat(t[2]).isEqualTo("FALL SHORT");
        });
        L7Result broken = result(L7Variant.GATEWAY_MTLS, List.of("gateway"), 0, 0, 0, 30_000);
        assertThat(L7Table.targets(report(broken, mtls))).singleElement().satisfies(t -> {
            assertThat(t[1]).contains("gateway was gone");
            assertThat(t[2]).isEqualTo("NO VERDICT");
        });
        assertThat(L7Table.targets(report(gateway))).isEmpty();
    }

    private static L7Report report(L7Result... results) {
        return new L7Report(null, List.of(results), Instant.EPOCH, 2, "1.0", "1.0", List.of());
    }

    private static L7Result waypoint(long rss, long failed, long wrkErrors) {
        return result(
                L7Variant.WAYPOINT, List.of("waypoint", "ztunnel@node1", "ztunnel@node2"), rss, failed, wrkErrors);
    }

    private static L7Result l4() {
        return result(L7Variant.L4, List.of("ztunnel@node1", "ztunnel@node2"), 60 * MIB, 0, 0);
    }

    private static L7Result nginx() {
        return result(L7Variant.NGINX, List.of("nginx"), 10 * MIB, 0, 0);
    }

    private static L7Result result(L7Variant variant, List<String> proxies, long rss, long failed, long wrkErrors) {
        return result(variant, proxies, rss, failed, wrkErrors, 10_000);
    }

    private static L7Result result(
            L7Variant variant, List<String> proxies, long rss, long failed, long wrkErrors, double wrkRate) {
        Histogram histogram = new Histogram(3);
        histogram.recordValue(500_000);
        long[] resident = new long[proxies.size()];
        java.util.Arrays.fill(resident, 60 * MIB);
        resident[0] = rss;
        return new L7Result(
                variant,
                proxies,
                new HttpOpenLoopProbe.Result(histogram, 1000, 1000 - failed, failed, 0),
                new double[proxies.size()],
                15,
                new WrkRun(wrkRate, 100_000, wrkErrors, ""),
                new double[proxies.size()],
                10,
                resident,
                resident.clone());
    }
}
