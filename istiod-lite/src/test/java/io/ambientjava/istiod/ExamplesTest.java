package io.ambientjava.istiod;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.ca.TokenFileAuthenticator;
import io.ambientjava.istiod.config.local.LocalFolderSource;
import io.ambientjava.istiod.translate.AmbientTranslator;
import io.ambientjava.istiod.translate.MeshSettings;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The shipped examples stay valid. */
class ExamplesTest {

    @Test
    void localMeshExampleLoadsCleanAndTranslatesWithoutWarnings() throws Exception {
        try (LocalFolderSource source = LocalFolderSource.open(Path.of("examples/local-mesh"))) {
            assertThat(source.problems()).isEmpty();
            var translation = new AmbientTranslator(MeshSettings.defaults()).translate(source.current());
            assertThat(translation.warnings()).isEmpty();
            assertThat(translation.addresses())
                    .containsOnlyKeys(
                            "Kubernetes//Pod/shop/frontend-0",
                            "Kubernetes//Pod/shop/web-0",
                            "Kubernetes//Pod/shop/web-1",
                            "shop/web.shop.svc.cluster.local");
            assertThat(translation.authorizations())
                    .containsOnlyKeys("istio-system/istio_converted_static_strict", "shop/web-from-frontend");
        }
    }

    @Test
    void tokenFileExampleLoads() throws Exception {
        var authenticator = TokenFileAuthenticator.load(
                Path.of("examples/tokens.example.yaml"), "cluster.local", Clock.systemUTC());
        assertThat(authenticator.authenticate("replace-me-ztunnel-node-b-0000").node())
                .contains("node-b");
    }
}
