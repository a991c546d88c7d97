package io.ambientjava.perf.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the probe in real child JVMs, against picocli's jar. */
class ClassFloorTest {

    private static Path picocliJar() throws Exception {
        return Path.of(CommandLine.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
    }

    @Test
    void eachStepRunsInItsOwnJvmAndReportsWhatLoadedAndItsMemory() throws Exception {
        List<LibraryGroup.Step> steps = List.of(
                new LibraryGroup.Step("nothing", List.of()),
                new LibraryGroup.Step(
                        "picocli",
                        List.of(
                                "picocli.CommandLine",
                                "picocli.CommandLine$Model$CommandSpec",
                                "java.util.zip.ZipFile",
                                "no.such.Clazz")));

        List<ClassFloor.Measurement> results = new ClassFloor(
                        picocliJar(), List.of("MALLOC_ARENA_MAX=2", "-Xmx32m", "-XX:+UseSerialGC"))
                .measure(steps);

        assertThat(results).extracting(ClassFloor.Measurement::loaded).containsExactly(0, 3);
        assertThat(results).extracting(ClassFloor.Measurement::failed).containsExactly(0, 1);
        assertThat(results.get(1).classes()).isEqualTo(4);
        assertThat(results.get(1).notFound()).containsExactly("no.such.Clazz");
        assertThat(results)
                .allSatisfy(m -> assertThat(m.memory().residentBytes()).isGreaterThan(8L << 20));
    }

    @Test
    void optionsShapedLikeVariablesGoToTheEnvironment(@TempDir Path dir) throws Exception {
        List<String> command = new ClassFloor(picocliJar(), List.of("MALLOC_ARENA_MAX=2", "-Xmx32m"))
                .command(dir.resolve("probe"), dir.resolve("names.txt"));

        assertThat(command.subList(0, 2)).containsExactly("env", "MALLOC_ARENA_MAX=2");
        assertThat(command).contains("-Xmx32m", ClassFloorProbe.class.getName()).doesNotContain("-jar");
        assertThat(command.getLast()).isEqualTo(dir.resolve("names.txt").toString());
    }

    @Test
    void aProbeThatDiedIsReportedWithWhatItPrinted() {
        LibraryGroup.Step step = new LibraryGroup.Step("+ Netty", List.of("io.netty.channel.Channel"));

        assertThatThrownBy(() -> ClassFloor.parse(step, 1, "Error: Could not create the Java Virtual Machine."))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'+ Netty' exited 1")
                .hasMessageContaining("Could not create the Java Virtual Machine");
    }

    @Test
    void aMissingJarIsRefusedByName(@TempDir Path dir) {
        assertThatThrownBy(() -> new ClassFloor(dir.resolve("gone.jar"), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no jar at")
                .hasMessageContaining("gone.jar");
    }

    @Test
    void theReportGivesEachStepsGrowthAndTheTarget() {
        List<ClassFloor.Measurement> results = List.of(
                new ClassFloor.Measurement(
                        "nothing", 0, 0, 0, List.of(), new io.ambientjava.perf.proc.MemoryStatus(41L << 20, 40L << 20)),
                new ClassFloor.Measurement(
                        "+ Netty",
                        1089,
                        1088,
                        1,
                        List.of("io.netty.Gone"),
                        new io.ambientjava.perf.proc.MemoryStatus(60L << 20, 54L << 20)));

        String md = ClassFloorCommand.markdown(Path.of("/w/waypoint.jar"), List.of("-Xmx48m"), results, 96);

        assertThat(md)
                .contains("| nothing | 0 | 40.0 | — |")
                .contains("| + Netty | 1,088 (1 not found) | 54.0 | +14.0 |")
                .contains("Not found in the jar or the JDK: `io.netty.Gone`")
                .contains("54.0 MiB against a target of 96 MiB")
                .contains("`-Xmx48m`");
    }
}
