package io.ambientjava.meshctl.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code meshctl analyze}: the seed examples pass, broken variants fail naming resource, field and reason. */
class AnalyzeCommandTest {

    static final Path SEED = Path.of("/work/shared/seed-examples");

    @TempDir
    Path dir;

    static Stream<Path> seedFiles() throws IOException {
        Path seed = seedFolder();
        try (Stream<Path> files = Files.list(seed)) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    /** The seed examples beside the work tree (CI's copy of shared/ sits next to the clone). */
    static Path seedFolder() {
        for (Path candidate :
                List.of(SEED, Path.of("../../shared/seed-examples"), Path.of("../shared/seed-examples"))) {
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("seed-examples not found");
    }

    @ParameterizedTest
    @MethodSource("seedFiles")
    void everySeedExampleIsClean(Path file) {
        MeshctlRun run = MeshctlRun.of("analyze", "-f", file.toString());
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        String name = file.getFileName().toString();
        if (name.startsWith("05-") || name.startsWith("12-") || name.startsWith("15-")) {
            // selector policies with HTTP rules and no waypoint in sight: valid, but enforced stricter than written
            assertThat(run.out().lines().filter(l -> l.startsWith("warning")))
                    .singleElement()
                    .satisfies(l -> assertThat(l)
                            .contains("AuthorizationPolicy default/")
                            .contains("L7 rule needs a waypoint")
                            .contains("stricter than written"));
        } else {
            assertThat(run.out()).startsWith("No validation issues found (1 resource in 1 file).");
        }
        assertThat(run.err()).isEmpty();
    }

    @Test
    void theSeedFolderAsAWholeHasOnlyRedefinitionWarnings() {
        MeshctlRun run = MeshctlRun.of("analyze", "-f", seedFolder().toString());
        assertThat(run.exit()).isZero();
        assertThat(run.out().lines().filter(l -> l.startsWith("error"))).isEmpty();
        assertThat(run.out()).contains("0 errors", "the later definition wins");
        assertThat(MeshctlRun.of("analyze", "--fail-on-warnings", seedFolder().toString())
                        .exit())
                .isEqualTo(ExitCodes.FAILED);
    }

    private MeshctlRun analyzeBroken(String name, String yaml) throws IOException {
        Path file = Files.writeString(dir.resolve(name), yaml);
        return MeshctlRun.of("analyze", "-f", file.toString());
    }

    @Test
    void unknownFieldIsNamed() throws IOException {
        String seed = Files.readString(seedFolder().resolve("04-peerauthentication-default.yaml"));
        MeshctlRun run = analyzeBroken("pa.yaml", seed.replace("mode: STRICT", "mode: STRICT\n    strictness: high"));
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out())
                .contains(
                        "error: ",
                        "pa.yaml (document 1): PeerAuthentication istio-system/default: spec.mtls.strictness");
        assertThat(run.errLines()).containsExactly("meshctl: analyze found 1 error");
    }

    @Test
    void badEnumValueIsNamed() throws IOException {
        String seed = Files.readString(seedFolder().resolve("04-peerauthentication-default.yaml"));
        MeshctlRun run = analyzeBroken("pa.yaml", seed.replace("STRICT", "SOMETIMES"));
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).contains("PeerAuthentication istio-system/default: spec.mtls.mode");
    }

    @Test
    void semanticErrorIsNamed() throws IOException {
        String seed = Files.readString(seedFolder().resolve("05-authorizationpolicy-productpage-policy.yaml"));
        MeshctlRun run = analyzeBroken(
                "ap.yaml",
                seed.replace("    to:\n", "    to:\n    - operation: {}\n")
                        .replace("  selector:", "  provider:\n    name: x\n  selector:"));
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).contains("AuthorizationPolicy default/productpage-policy: spec.provider");
    }

    @Test
    void unservedVersionAndMissingNameAreNamed() throws IOException {
        String seed = Files.readString(seedFolder().resolve("01-virtualservice-reviews.yaml"));
        MeshctlRun run = analyzeBroken(
                "vs.yaml",
                seed.replaceFirst("apiVersion: networking.istio.io/\\w+", "apiVersion: networking.istio.io/v9")
                        + "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  namespace: x\n");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).contains("vs.yaml (document 1): VirtualService", "apiVersion: version v9 is not served");
        assertThat(run.out()).contains("vs.yaml (document 2): PeerAuthentication x/: metadata.name: required");
        assertThat(run.errLines()).containsExactly("meshctl: analyze found 2 errors");
    }

    @Test
    void yamlSyntaxErrorIsOneMessage() throws IOException {
        MeshctlRun run = analyzeBroken("bad.yaml", "apiVersion: v1\nkind: [Pod\n");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.out()).contains("bad.yaml (document 1): YAML syntax error at line");
    }

    @Test
    void folderIsReadRecursivelySkippingHiddenFiles() throws IOException {
        Files.createDirectories(dir.resolve("sub/.hidden"));
        Files.copy(seedFolder().resolve("04-peerauthentication-default.yaml"), dir.resolve("sub/pa.yml"));
        Files.writeString(dir.resolve("sub/.hidden/broken.yaml"), "kind: [");
        Files.writeString(dir.resolve("notes.txt"), "not yaml");
        MeshctlRun run = MeshctlRun.of("analyze", dir.toString());
        assertThat(run.exit()).isZero();
        assertThat(run.out()).startsWith("No validation issues found (1 resource in 1 file).");
    }

    @Test
    void analyzeWithoutInputIsAnError() {
        MeshctlRun run = MeshctlRun.of("analyze");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines()).containsExactly("meshctl: analyze needs -f FILE|DIR");
    }

    @Test
    void standardInputIsReadForDash() throws IOException {
        String seed = Files.readString(seedFolder().resolve("04-peerauthentication-default.yaml"));
        Analyzer.Report clean =
                new Analyzer(() -> new java.io.ByteArrayInputStream(seed.getBytes())).analyze(List.of(Analyzer.STDIN));
        assertThat(clean.resources()).isEqualTo(1);
        assertThat(clean.problems()).isEmpty();
        Analyzer.Report broken = new Analyzer(() -> new java.io.ByteArrayInputStream(
                        seed.replace("STRICT", "LOOSE").getBytes()))
                .analyze(List.of(Analyzer.STDIN));
        assertThat(broken.errors()).isEqualTo(1);
        assertThat(broken.problems().getFirst().message()).startsWith("error: - (document 1): PeerAuthentication");
    }
}
