package io.ambientjava.waypoint.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class PeerLabelsTest {

    @Test
    void theSourceNamespaceComesFromTheSpiffeId() {
        SourceLabels s =
                SourceLabels.of(Optional.of("productpage-v1"), Optional.of("spiffe://cluster.local/ns/shop/sa/pp"));

        assertThat(s).isEqualTo(new SourceLabels("productpage-v1", "shop", "spiffe://cluster.local/ns/shop/sa/pp"));
    }

    @Test
    void anUnknownSourceIsUnknownThroughout() {
        assertThat(SourceLabels.of(Optional.empty(), Optional.of("")))
                .isEqualTo(new SourceLabels("unknown", "unknown", "unknown"));
        assertThat(SourceLabels.of(Optional.empty(), Optional.of("spiffe://td/sa/x"))
                        .workloadNamespace())
                .isEqualTo("unknown");
    }

    @Test
    void theDestinationSplitsItsHostAndTheEndpointsIstioMetadata() {
        DestinationLabels d = DestinationLabels.of(
                "reviews.shop.svc.cluster.local",
                Optional.of("reviews-v2-5d8f;shop;reviews;v2;Kubernetes"),
                Optional.of("spiffe://cluster.local/ns/shop/sa/reviews"));

        assertThat(d)
                .isEqualTo(new DestinationLabels(
                        "reviews.shop.svc.cluster.local",
                        "reviews",
                        "shop",
                        "reviews-v2-5d8f",
                        "shop",
                        "reviews",
                        "v2",
                        "Kubernetes",
                        "spiffe://cluster.local/ns/shop/sa/reviews"));
    }

    @Test
    void missingOrShortMetadataLeavesTheRestUnknown() {
        DestinationLabels d = DestinationLabels.of("", Optional.of("pod;;app"), Optional.empty());

        assertThat(d)
                .isEqualTo(new DestinationLabels(
                        "unknown", "unknown", "unknown", "pod", "unknown", "app", "unknown", "unknown", "unknown"));
    }

    @Test
    void theCacheGivesTheSameLabelsForTheSamePeerAndStartsOverWhenFull() {
        PeerLabelCache cache = new PeerLabelCache();
        Optional<String> principal = Optional.of("spiffe://cluster.local/ns/shop/sa/pp");

        SourceLabels first = cache.source(Optional.of("pp"), principal);
        assertThat(cache.source(Optional.of("pp"), principal)).isSameAs(first);
        assertThat(cache.source(Optional.of("other"), principal).workload()).isEqualTo("other");

        for (int i = 0; i < PeerLabelCache.MAX_ENTRIES + 10; i++) {
            assertThat(cache.destination("svc" + i + ".ns", Optional.empty(), Optional.empty())
                            .serviceName())
                    .isEqualTo("svc" + i);
        }
        assertThat(cache.source(Optional.of("pp"), principal)).isEqualTo(first);
    }
}
