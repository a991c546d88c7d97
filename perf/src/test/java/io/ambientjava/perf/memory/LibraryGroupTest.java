package io.ambientjava.perf.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LibraryGroupTest {

    @Test
    void stepsAddOneLibraryAtATimeAndEndWithEveryClass() {
        List<String> names = List.of(
                "io.ambientjava.waypoint.Main",
                "java.lang.Object",
                "io.netty.channel.Channel",
                "com.google.protobuf.Any",
                "io.envoyproxy.envoy.config.cluster.v3.Cluster",
                "udpa.annotations.Status",
                "sun.security.ssl.SSLContextImpl",
                "ch.qos.logback.classic.Logger");

        List<LibraryGroup.Step> steps = LibraryGroup.cumulativeSteps(LibraryGroup.WAYPOINT_STACK, names);

        assertThat(steps)
                .extracting(LibraryGroup.Step::label)
                .containsExactly(
                        "nothing (the JVM with the same options, the jar open)",
                        "+ the JDK",
                        "+ Netty",
                        "+ gRPC, protobuf, Guava",
                        "+ Envoy API, xDS, PGV",
                        "+ everything else");
        assertThat(steps.get(0).classNames()).isEmpty();
        assertThat(steps.get(1).classNames()).containsExactly("java.lang.Object", "sun.security.ssl.SSLContextImpl");
        assertThat(steps.get(2).classNames())
                .endsWith("io.netty.channel.Channel")
                .hasSize(3);
        assertThat(steps.get(4).classNames())
                .endsWith("io.envoyproxy.envoy.config.cluster.v3.Cluster", "udpa.annotations.Status");
        assertThat(steps.get(5).classNames())
                .containsExactlyInAnyOrderElementsOf(names)
                .endsWith("io.ambientjava.waypoint.Main", "ch.qos.logback.classic.Logger");
    }

    @Test
    void aClassCountsForTheFirstGroupThatClaimsIt() {
        List<LibraryGroup> overlapping = List.of(
                new LibraryGroup("netty channel", List.of("io.netty.channel.")),
                new LibraryGroup("netty", List.of("io.netty.")));

        List<LibraryGroup.Step> steps =
                LibraryGroup.cumulativeSteps(overlapping, List.of("io.netty.channel.Channel", "io.netty.util.Timer"));

        assertThat(steps.get(1).classNames()).containsExactly("io.netty.channel.Channel");
        assertThat(steps.get(2).classNames()).containsExactly("io.netty.channel.Channel", "io.netty.util.Timer");
        assertThat(steps.get(3).classNames()).hasSize(2);
    }
}
