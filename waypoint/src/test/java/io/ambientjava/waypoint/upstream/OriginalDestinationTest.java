package io.ambientjava.waypoint.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.config.ClusterConfig;
import io.ambientjava.waypoint.config.ClusterTranslator;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.ambientjava.waypoint.config.WorkloadEndpoint;
import io.ambientjava.waypoint.testsupport.Envoy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** An {@code ORIGINAL_DST} cluster's hosts: the destinations connections name, made and forgotten as they come. */
class OriginalDestinationTest {

    private static final WorkloadEndpoint REVIEWS = new WorkloadEndpoint(
            true, Optional.of("spiffe://cluster.local/ns/default/sa/reviews"), Optional.of("reviews-v1;default"));

    private final ClusterConfig config = ClusterTranslator.translate(Envoy.originalDestinationCluster());
    private final ClusterRuntime cluster = new ClusterRuntime(config, null);

    @Test
    void theHostIsTheDestinationTheConnectionNamedAndIsKeptForItsNextRequests() {
        EndpointConfig pod = REVIEWS.at(new InetSocketAddress("198.18.0.7", 9080));
        HostState first = cluster.pick(OptionalLong.empty(), Set.of(), Optional.of(pod));
        assertThat(first.endpoint()).isEqualTo(pod);
        assertThat(cluster.pick(OptionalLong.empty(), Set.of(), Optional.of(pod)))
                .isSameAs(first);
        HostState otherPort = cluster.pick(
                OptionalLong.empty(), Set.of(), Optional.of(REVIEWS.at(new InetSocketAddress("198.18.0.7", 15000))));
        assertThat(otherPort).isNotSameAs(first);
        assertThat(cluster.originalHostCount()).isEqualTo(2);
    }

    @Test
    void withoutAnOriginalDestinationThereIsNoHost() {
        assertThat(cluster.pick(OptionalLong.empty(), Set.of(), Optional.empty()))
                .isNull();
        assertThat(cluster.pick(OptionalLong.empty(), Set.of()))
                .as("e.g. a mirror to it")
                .isNull();
    }

    @Test
    void aNewPodOnTheSameAddressReplacesTheOldHost() {
        InetSocketAddress address = new InetSocketAddress("198.18.0.7", 9080);
        HostState old = cluster.pick(OptionalLong.empty(), Set.of(), Optional.of(REVIEWS.at(address)));
        WorkloadEndpoint ratings = new WorkloadEndpoint(
                true, Optional.of("spiffe://cluster.local/ns/default/sa/ratings"), Optional.of("ratings-v1;default"));
        HostState replaced = cluster.pick(OptionalLong.empty(), Set.of(), Optional.of(ratings.at(address)));
        assertThat(replaced).isNotSameAs(old);
        assertThat(replaced.endpoint().identity()).contains("spiffe://cluster.local/ns/default/sa/ratings");
        assertThat(cluster.originalHostCount()).isEqualTo(1);
    }

    @Test
    void idleHostsAreForgottenBeyondTheBoundButBusyOnesStay() {
        HostState busy = cluster.pick(
                OptionalLong.empty(), Set.of(), Optional.of(REVIEWS.at(new InetSocketAddress("198.18.0.1", 80))));
        busy.activeRequestsIncrement();
        for (int i = 0; i < ClusterRuntime.MAX_ORIGINAL_HOSTS + 10; i++) {
            cluster.pick(
                    OptionalLong.empty(),
                    Set.of(),
                    Optional.of(REVIEWS.at(new InetSocketAddress("198.18.1.1", 1000 + i))));
        }
        assertThat(cluster.originalHostCount()).isLessThanOrEqualTo(ClusterRuntime.MAX_ORIGINAL_HOSTS);
        assertThat(cluster.pick(
                        OptionalLong.empty(),
                        Set.of(),
                        Optional.of(REVIEWS.at(new InetSocketAddress("198.18.0.1", 80)))))
                .isSameAs(busy);
    }

    @Test
    void aConfigUpdateKeepsTheHosts() {
        EndpointConfig pod = REVIEWS.at(new InetSocketAddress("198.18.0.7", 9080));
        HostState host = cluster.pick(OptionalLong.empty(), Set.of(), Optional.of(pod));
        cluster.update(config, List.of());
        assertThat(cluster.pick(OptionalLong.empty(), Set.of(), Optional.of(pod)))
                .isSameAs(host);
    }
}
