package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.seed;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.kubernetes.KubernetesSource;
import io.ambientjava.istiod.testsupport.MockApiServer;
import io.ambientjava.istiod.translate.AmbientTranslator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The same mesh through the Kubernetes API (fabric8's CRUD mock) and through YAML gives the same Envoy and workload
 * translation, and the waypoint's routes follow VirtualService changes made through the API.
 */
class EnvoyFromKubernetesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void waypointRoutesFollowTheApiServer() {
        try (MockApiServer api = new MockApiServer()) {
            ConfigSnapshot mesh = with("01-virtualservice-reviews.yaml");
            for (ConfigResource resource : mesh.resources().values()) {
                api.apply(JSON.convertValue(resource.object(), GenericKubernetesResource.class));
            }
            var options = KubernetesSource.Options.defaults().withDebounce(Duration.ofMillis(30));
            try (KubernetesSource source = KubernetesSource.connect(api.config(), options)) {
                assertThat(source.problems()).isEmpty();
                assertThat(BookinfoMesh.waypoint(translate(mesh)).routes()).isNotEmpty();
                assertThat(translate(source.current())).isEqualTo(translate(mesh));
                assertThat(new AmbientTranslator(BookinfoMesh.SETTINGS).translate(source.current()))
                        .isEqualTo(new AmbientTranslator(BookinfoMesh.SETTINGS).translate(mesh));

                // 09 replaces 01 (same VirtualService): a 3 s timeout instead of the 75/25 split
                api.apply(seed("09-virtualservice-reviews.yaml"));
                api.apply(seed("13-virtualservice-product-api.yaml"));
                EnvoyTranslation expected =
                        translate(with("09-virtualservice-reviews.yaml", "13-virtualservice-product-api.yaml"));
                assertThat(expected).isNotEqualTo(translate(mesh));
                await().atMost(WAIT).until(() -> translate(source.current()).equals(expected));

                api.delete(ResourceKind.VIRTUAL_SERVICE, "default", "reviews");
                EnvoyTranslation withoutReviews = translate(with("13-virtualservice-product-api.yaml"));
                await().atMost(WAIT).until(() -> translate(source.current()).equals(withoutReviews));
            }
        }
    }
}
