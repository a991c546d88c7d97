package io.ambientjava.perf.l7;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class L7CommandOptionsTest {

    @TempDir
    Path dir;

    private L7Command parsed(String... extra) throws Exception {
        Path jar = Files.writeString(dir.resolve("any.jar"), "");
        L7Command command = new L7Command();
        String[] base = {
            "--variants",
            "l4",
            "--waypoint-jar",
            jar.toString(),
            "--ztunnel-jar",
            jar.toString(),
            "--istiod-jar",
            jar.toString()
        };
        String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
                .toArray(String[]::new);
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void extraWaypointOptionsComeAfterTheTunedDefaults() throws Exception {
        L7Options options = parsed("--waypoint-extra-jvm-opts", " -Xlog:class+load:file=/tmp/x.log  -Dy=1 ")
                .options();

        assertThat(options.waypointJvmOptions())
                .startsWith(L7Command.WAYPOINT_JVM_OPTIONS.toArray(String[]::new))
                .endsWith("-Xlog:class+load:file=/tmp/x.log", "-Dy=1")
                .hasSize(L7Command.WAYPOINT_JVM_OPTIONS.size() + 2);
    }

    @Test
    void extraWaypointOptionsComeAfterReplacedOnes() throws Exception {
        L7Options options = parsed("--waypoint-jvm-opts", "-Xmx64m", "--waypoint-extra-jvm-opts", "-Dy=1")
                .options();

        assertThat(options.waypointJvmOptions()).containsExactly("-Xmx64m", "-Dy=1");
    }

    @Test
    void withoutExtraOptionsTheDefaultsStandAlone() throws Exception {
        assertThat(parsed().options().waypointJvmOptions()).isEqualTo(L7Command.WAYPOINT_JVM_OPTIONS);
    }
}
