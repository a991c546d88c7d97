package io.ambientjava.istiod.config.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFolderSourceTest {

    private static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-0, namespace: shop, labels: {app: web}}
            spec: {serviceAccountName: web, nodeName: node-a, containers: [{name: app}]}
            status: {podIP: %s}
            """;

    @TempDir
    Path folder;

    @Test
    void readsAllSeedExamplesWithoutProblems() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/test/resources/seed-examples"))) {
            for (Path file : files.toList()) {
                Files.copy(file, folder.resolve(file.getFileName()));
            }
        }
        try (LocalFolderSource source = LocalFolderSource.open(folder)) {
            // 01, 08, 09 and 11 are alternative versions of VirtualService default/reviews: the folder reader keeps
            // the last (as kubectl apply would) and warns about the others; nothing else is reported.
            assertThat(source.problems()).allSatisfy(p -> {
                assertThat(p.isError()).isFalse();
                assertThat(p.resource()).isEqualTo("VirtualService default/reviews");
            });
            assertThat(source.problems())
                    .extracting(p -> p.location().file().toString())
                    .containsExactly(
                            "08-virtualservice-reviews.yaml",
                            "09-virtualservice-reviews.yaml",
                            "11-virtualservice-reviews.yaml");
            ConfigSnapshot snapshot = source.current();
            assertThat(snapshot.all(ResourceKind.PEER_AUTHENTICATION))
                    .extracting(r -> r.key().namespacedName())
                    .containsExactly("ecommerce/cart-mtls", "istio-system/default");
            assertThat(snapshot.authorizationPolicies()).hasSize(3);
            assertThat(snapshot.all(ResourceKind.VIRTUAL_SERVICE)).hasSize(3);
            assertThat(snapshot.get(new ResourceKey(ResourceKind.VIRTUAL_SERVICE, "default", "reviews"))
                            .orElseThrow()
                            .location()
                            .file())
                    .isEqualTo(Path.of("11-virtualservice-reviews.yaml"));
            assertThat(snapshot.resources()).hasSize(15 - 3);
        }
    }

    @Test
    void picksUpChangesAndKeepsTheLastValidVersionOfABrokenResource() throws IOException {
        write("pod.yaml", POD.formatted("198.18.1.5"));
        List<ConfigSnapshot> published = new CopyOnWriteArrayList<>();
        try (LocalFolderSource source = LocalFolderSource.open(folder, Duration.ofMillis(200))) {
            source.addListener(published::add);
            assertThat(podIp(source.current())).isEqualTo("198.18.1.5");

            write("pod.yaml", POD.formatted("198.18.1.6"));
            await().atMost(Duration.ofSeconds(5)).until(() -> "198.18.1.6".equals(podIp(source.current())));
            // listeners run right after the snapshot is swapped in
            await().atMost(Duration.ofSeconds(5)).until(() -> !published.isEmpty());

            write("pod.yaml", POD.formatted("198.18.999.1"));
            await().atMost(Duration.ofSeconds(5)).until(() -> !source.problems().isEmpty());
            assertThat(podIp(source.current())).isEqualTo("198.18.1.6");
            assertThat(source.problems())
                    .filteredOn(ConfigProblem::isError)
                    .singleElement()
                    .satisfies(p -> {
                        assertThat(p.location().file()).isEqualTo(Path.of("pod.yaml"));
                        assertThat(p.resource()).isEqualTo("Pod shop/web-0");
                        assertThat(p.fieldPath()).isEqualTo("status.podIP");
                    });

            write("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [broken\n");
            source.reloadNow();
            assertThat(podIp(source.current())).isEqualTo("198.18.1.6");

            Files.delete(folder.resolve("pod.yaml"));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> source.current().pods().isEmpty());
            assertThat(source.problems()).isEmpty();
        }
    }

    @Test
    void newFilesInSubFoldersAreRead() throws IOException {
        try (LocalFolderSource source = LocalFolderSource.open(folder, Duration.ofMillis(200))) {
            assertThat(source.current().resources()).isEmpty();
            Files.createDirectories(folder.resolve("shop"));
            write("shop/pod.yml", POD.formatted("198.18.1.7"));
            await().atMost(Duration.ofSeconds(5)).until(() -> "198.18.1.7".equals(podIp(source.current())));
            write(".hidden.yaml", POD.formatted("198.18.1.8"));
            source.reloadNow();
            assertThat(source.current().pods()).hasSize(1);
        }
    }

    @Test
    void duplicateResourceTakesTheLaterAndWarns() throws IOException {
        write("a.yaml", POD.formatted("198.18.1.5"));
        write("b.yaml", POD.formatted("198.18.1.9"));
        try (LocalFolderSource source = LocalFolderSource.open(folder)) {
            assertThat(podIp(source.current())).isEqualTo("198.18.1.9");
            assertThat(source.problems()).singleElement().satisfies(p -> {
                assertThat(p.isError()).isFalse();
                assertThat(p.location().file()).isEqualTo(Path.of("b.yaml"));
                assertThat(p.reason()).contains("also defined in a.yaml (document 1)");
            });
        }
    }

    @Test
    void unchangedContentPublishesNoNewSnapshot() throws IOException {
        write("pod.yaml", POD.formatted("198.18.1.5"));
        try (LocalFolderSource source = LocalFolderSource.open(folder)) {
            long generation = source.current().generation();
            write("pod.yaml", "# a comment\n" + POD.formatted("198.18.1.5"));
            source.reloadNow();
            assertThat(source.current().generation()).isEqualTo(generation);
        }
    }

    @Test
    void aSameSizeRewriteInPlaceRightAfterAReadIsSeen() throws IOException {
        Path file = folder.resolve("pod.yaml");
        Files.writeString(file, POD.formatted("198.18.1.5"));
        try (LocalFolderSource source = LocalFolderSource.open(folder, Duration.ofSeconds(60))) {
            assertThat(podIp(source.current())).isEqualTo("198.18.1.5");
            // Same size, same inode, and most likely the same file time tick: the text must still be compared.
            Files.writeString(file, POD.formatted("198.18.1.6"));
            source.reloadNow();
            assertThat(podIp(source.current())).isEqualTo("198.18.1.6");
        }
    }

    @Test
    void refusesAFolderThatDoesNotExist() {
        assertThatThrownBy(() -> LocalFolderSource.open(folder.resolve("missing")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing")
                .hasMessageContaining("not a directory");
    }

    private static String podIp(ConfigSnapshot snapshot) {
        return snapshot.get(new ResourceKey(ResourceKind.POD, "shop", "web-0"))
                .map(r -> r.as(Pod.class).getStatus().getPodIP())
                .orElse(null);
    }

    /** Writes atomically (temp file + move), as editors and config tools do. */
    private void write(String name, String content) throws IOException {
        Path target = folder.resolve(name);
        Path temp = Files.createTempFile(folder, ".tmp", ".part");
        Files.writeString(temp, content);
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
