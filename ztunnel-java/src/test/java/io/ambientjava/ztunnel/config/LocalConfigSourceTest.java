package io.ambientjava.ztunnel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalConfigSourceTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final WorkloadStore store = new WorkloadStore();

    private static String config(String... podNames) {
        StringBuilder sb = new StringBuilder("workloads:\n");
        int ip = 20;
        for (String name : podNames) {
            sb.append("- uid: Kubernetes//Pod/default/").append(name).append('\n');
            sb.append("  name: ").append(name).append('\n');
            sb.append("  namespace: default\n");
            sb.append("  workloadIps: [\"198.18.0.").append(ip++).append("\"]\n");
        }
        return sb.toString();
    }

    private List<String> names() {
        return store.snapshot().workloads().stream().map(Workload::name).toList();
    }

    @Test
    void loadsAtStartAndReloadsAnInPlaceEdit() throws Exception {
        Path file = Files.writeString(dir.resolve("local.yaml"), config("echo-0"));
        try (LocalConfigSource source = LocalConfigSource.file(file, store)) {
            StateSnapshot first = source.start();
            assertThat(first.workloads()).extracting(Workload::name).containsExactly("echo-0");

            Files.writeString(file, config("echo-0", "echo-1"));
            await().atMost(WAIT).until(() -> names().equals(List.of("echo-0", "echo-1")));
            // an in-place write may be seen half-written first (and even be valid then)
            assertThat(source.appliedCount()).isGreaterThanOrEqualTo(2);
            assertThat(source.lastError()).isEmpty();
        }
    }

    @Test
    void followsAFileReplacedByRename() throws Exception {
        Path file = Files.writeString(dir.resolve("local.yaml"), config("echo-0"));
        try (LocalConfigSource source = LocalConfigSource.file(file, store)) {
            source.start();
            // what editors and config writers do: write a temporary file, then rename it over the old one
            Path tmp = Files.writeString(dir.resolve(".local.yaml.swp"), config("echo-9"));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await().atMost(WAIT).until(() -> names().equals(List.of("echo-9")));
        }
    }

    @Test
    void followsASwappedSymlinkAsConfigMapMountsDo() throws Exception {
        Path v1 = Files.createDirectory(dir.resolve("..v1"));
        Files.writeString(v1.resolve("local.yaml"), config("echo-0"));
        Path data = Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("local.yaml"), Path.of("..data", "local.yaml"));
        try (LocalConfigSource source = LocalConfigSource.file(file, store)) {
            source.start();
            Path v2 = Files.createDirectory(dir.resolve("..v2"));
            Files.writeString(v2.resolve("local.yaml"), config("echo-2"));
            Path newLink = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
            Files.move(newLink, data, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await().atMost(WAIT).until(() -> names().equals(List.of("echo-2")));
        }
    }

    @Test
    void aBadEditIsReportedAndTheLastGoodStateStays() throws Exception {
        Path file = Files.writeString(dir.resolve("local.yaml"), config("echo-0"));
        try (LocalConfigSource source = LocalConfigSource.file(file, store)) {
            source.start();
            StateSnapshot good = store.snapshot();

            Files.writeString(file, config("echo-0") + "  protocol: QUIC\n");
            // an in-place write may be seen half-written first; wait for the complete document's error
            await().atMost(WAIT)
                    .until(() -> source.lastError()
                            .map(e -> e.getMessage().contains("QUIC"))
                            .orElse(false));
            LocalConfigException error = source.lastError().orElseThrow();
            assertThat(error.getMessage())
                    .isEqualTo(file + ":6:13: workloads[0].protocol: 'QUIC' is not one of TCP, HBONE");
            assertThat(store.snapshot()).isSameAs(good);

            Files.writeString(file, config("echo-0", "echo-1") + "  bogus: 1\n");
            await().atMost(WAIT)
                    .until(() -> source.lastError()
                            .map(e -> e.path().endsWith("bogus"))
                            .orElse(false));
            assertThat(store.snapshot()).isSameAs(good);

            Files.writeString(file, config("echo-1"));
            await().atMost(WAIT).until(() -> names().equals(List.of("echo-1")));
            assertThat(source.lastError()).isEmpty();
        }
    }

    @Test
    void aDeletedFileKeepsTheStateUntilItComesBack() throws Exception {
        Path file = Files.writeString(dir.resolve("local.yaml"), config("echo-0"));
        try (LocalConfigSource source = LocalConfigSource.file(file, store, Duration.ofMillis(100))) {
            source.start();
            Files.delete(file);
            // several polls and events pass; nothing is applied
            Thread.sleep(400);
            assertThat(names()).containsExactly("echo-0");
            assertThat(source.appliedCount()).isEqualTo(1);

            Files.writeString(file, config("echo-3"));
            await().atMost(WAIT).until(() -> names().equals(List.of("echo-3")));
        }
    }

    @Test
    void pollingAloneNoticesChanges() throws Exception {
        Path file = Files.writeString(dir.resolve("local.yaml"), config("echo-0"));
        try (LocalConfigSource source = LocalConfigSource.file(file, store, Duration.ofMillis(100), false)) {
            source.start();
            // a different size, so the change shows in the fingerprint even within one timestamp tick
            Files.writeString(file, config("echo-0", "echo-1"));
            await().atMost(WAIT).until(() -> names().equals(List.of("echo-0", "echo-1")));
        }
    }

    @Test
    void unchangedContentIsNotAppliedAgain() throws Exception {
        Path file = Files.writeString(dir.resolve("local.yaml"), config("echo-0"));
        try (LocalConfigSource source = LocalConfigSource.file(file, store, Duration.ofMillis(50))) {
            source.start();
            Files.writeString(file, config("echo-0"));
            Files.setLastModifiedTime(
                    file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
            Thread.sleep(300);
            assertThat(source.appliedCount()).isEqualTo(1);
            assertThat(store.snapshot().generation()).isEqualTo(1);
        }
    }

    @Test
    void startFailsOnAMissingOrBadFileAndAppliesNothing() throws IOException {
        Path missing = dir.resolve("missing.yaml");
        try (LocalConfigSource source = LocalConfigSource.file(missing, store)) {
            assertThatThrownBy(source::start)
                    .isInstanceOf(LocalConfigException.class)
                    .hasMessage(missing + ": cannot read: no such file");
        }
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "workloads:\n- uid: a\n");
        try (LocalConfigSource source = LocalConfigSource.file(bad, store)) {
            assertThatThrownBy(source::start).hasMessage(bad + ":2:3: workloads[0].namespace: is required");
            assertThat(source.lastError()).isPresent();
        }
        assertThat(store.snapshot().generation()).isZero();
    }

    @Test
    void inlineConfigFromLocalXds() throws Exception {
        Optional<LocalConfigSource> source =
                LocalConfigSource.fromEnvironment(Map.of(LocalConfigSource.INLINE_ENV, config("echo-5")), store);
        assertThat(source).isPresent();
        try (LocalConfigSource inline = source.get()) {
            inline.start();
            assertThat(names()).containsExactly("echo-5");
            assertThat(inline.appliedCount()).isEqualTo(1);
        }
        try (LocalConfigSource bad = LocalConfigSource.inline("workloads: 3\n", store)) {
            assertThatThrownBy(bad::start).hasMessage("LOCAL_XDS:1:12: workloads: wrong type: expected a list");
        }
        assertThat(names()).containsExactly("echo-5");
    }

    @Test
    void environmentPrefersThePath() throws Exception {
        Path file = Files.writeString(dir.resolve("local.yaml"), config("from-file"));
        Map<String, String> env =
                Map.of(LocalConfigSource.PATH_ENV, file.toString(), LocalConfigSource.INLINE_ENV, config("from-env"));
        try (LocalConfigSource source =
                LocalConfigSource.fromEnvironment(env, store).orElseThrow()) {
            source.start();
            assertThat(names()).containsExactly("from-file");
        }
        assertThat(LocalConfigSource.fromEnvironment(Map.of(), store)).isEmpty();
        assertThat(LocalConfigSource.fromEnvironment(Map.of(LocalConfigSource.PATH_ENV, " "), store))
                .isEmpty();
    }
}
