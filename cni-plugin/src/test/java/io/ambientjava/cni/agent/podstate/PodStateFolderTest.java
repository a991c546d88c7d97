package io.ambientjava.cni.agent.podstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodStateFolderTest {
    @TempDir
    Path dir;

    @Test
    void readsNamespacesAndPodsFromMultiDocumentYamlInSubFolders() throws Exception {
        Files.createDirectories(dir.resolve("apps"));
        Files.writeString(dir.resolve("namespaces.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: shop
                  labels: {istio.io/dataplane-mode: ambient, team: a}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: ignored, namespace: shop}
                """);
        Files.writeString(dir.resolve("apps/web.yml"), """
                apiVersion: v1
                kind: Pod
                metadata: {name: web, namespace: shop, uid: u-1, labels: {app: web}}
                spec: {serviceAccountName: web-sa}
                ---
                kind: Pod
                metadata: {name: nons}
                """);
        Files.writeString(dir.resolve(".hidden.yaml"), "kind: Namespace\nmetadata: {name: hidden}\n");

        try (PodStateFolder folder = PodStateFolder.watch(dir, Duration.ofHours(1), state -> {})) {
            PodState state = folder.current();

            assertThat(state.namespaceLabels()).containsOnlyKeys("shop");
            assertThat(state.labelsOf("shop")).containsEntry("team", "a");
            assertThat(state.pod("shop", "web")).contains(new PodState.PodMeta("u-1", Map.of("app", "web"), "web-sa"));
            assertThat(state.pod("default", "nons")).isPresent();
        }
    }

    @Test
    void changesReachTheListenerAndABrokenFileIsSkipped() throws Exception {
        LinkedBlockingQueue<PodState> changes = new LinkedBlockingQueue<>();
        Files.writeString(dir.resolve("ns.yaml"), "kind: Namespace\nmetadata: {name: shop}\n");
        try (PodStateFolder folder = PodStateFolder.watch(dir, Duration.ofMillis(50), changes::add)) {
            assertThat(folder.current().labelsOf("shop")).isEmpty();

            Files.writeString(
                    dir.resolve("ns.yaml"),
                    "kind: Namespace\nmetadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}\n");

            PodState changed = changes.poll(5, TimeUnit.SECONDS);
            assertThat(changed).isNotNull();
            assertThat(changed.labelsOf("shop")).containsEntry("istio.io/dataplane-mode", "ambient");

            Files.writeString(dir.resolve("broken.yaml"), "kind: Pod\nmetadata: {name: [unclosed\n");
            folder.poll();
            assertThat(folder.current().labelsOf("shop")).containsEntry("istio.io/dataplane-mode", "ambient");
        }
    }

    @Test
    void aMissingFolderIsRefused() {
        assertThatThrownBy(() -> PodStateFolder.watch(dir.resolve("nope"), Duration.ofSeconds(1), s -> {}))
                .hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> PodStateFolder.watch(dir, Duration.ZERO, s -> {}))
                .hasMessageContaining("poll interval must be positive");
    }

    @Test
    void policyFollowsIstiosLabels() {
        PodState state = new PodState(
                Map.of("mesh", Map.of("istio.io/dataplane-mode", "ambient"), "plain", Map.of()),
                Map.of(
                        new PodState.PodKey("mesh", "batch"),
                        new PodState.PodMeta("", Map.of("istio.io/dataplane-mode", "none"), ""),
                        new PodState.PodKey("plain", "special"),
                        new PodState.PodMeta("", Map.of("istio.io/dataplane-mode", "ambient"), "")));

        assertThat(EnrollmentPolicy.decide(state, "mesh", "web").enrolled()).isTrue();
        assertThat(EnrollmentPolicy.decide(state, "mesh", "batch"))
                .isEqualTo(new EnrollmentPolicy.Decision(false, "pod label istio.io/dataplane-mode=none"));
        assertThat(EnrollmentPolicy.decide(state, "plain", "web"))
                .isEqualTo(
                        new EnrollmentPolicy.Decision(false, "namespace plain has no istio.io/dataplane-mode label"));
        assertThat(EnrollmentPolicy.decide(state, "plain", "special").enrolled())
                .isTrue();
        assertThat(EnrollmentPolicy.decide(state, "unknown", "x").enrolled()).isFalse();
    }
}
