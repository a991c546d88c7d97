package io.ambientjava.meshctl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The command line as a whole: version, help, completion, and one-line errors with exit codes. */
class MeshctlCliTest {

    @Test
    void versionNamesTheBuild() {
        MeshctlRun run = MeshctlRun.of("--version");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).startsWith("meshctl (ambient-java) 0.1.0");
    }

    @Test
    void helpListsEveryCommand() {
        MeshctlRun run = MeshctlRun.of("--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out())
                .contains("install", "analyze", "waypoint", "ztunnel-config", "proxy-config", "generate-completion");
        assertThat(MeshctlRun.of("waypoint", "--help").out()).contains("generate", "apply", "list", "delete");
        assertThat(MeshctlRun.of("ztunnel-config", "--help").out())
                .contains("workloads", "services", "policies", "certificates", "connections");
        assertThat(MeshctlRun.of("proxy-config", "--help").out()).contains("routes", "clusters", "listeners");
    }

    @Test
    void completionScriptCoversSubcommands() {
        MeshctlRun run = MeshctlRun.of("generate-completion");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("complete -F", "ztunnel-config", "--admin-address");
    }

    @Test
    void noCommandIsAUsageError() {
        MeshctlRun run = MeshctlRun.of();
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()).singleElement().asString().startsWith("meshctl: a command is required");
    }

    @Test
    void unknownOptionIsOneLineAndExit2() {
        MeshctlRun run = MeshctlRun.of("waypoint", "generate", "--bogus");
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines())
                .containsExactly("meshctl: Unknown option: '--bogus' (see meshctl waypoint generate --help)");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void badEnumValueNamesTheChoices() {
        MeshctlRun run = MeshctlRun.of("waypoint", "generate", "--for", "everything");
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()).singleElement().asString().contains("'everything' is not one of service");
    }

    @Test
    void failuresHaveNoStackTraceUnlessVerbose() {
        MeshctlRun quiet = MeshctlRun.of("analyze", "-f", "/nonexistent/meshctl-test");
        assertThat(quiet.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(quiet.errLines()).containsExactly("meshctl: /nonexistent/meshctl-test: no such file or directory");

        MeshctlRun verbose = MeshctlRun.of("analyze", "--verbose", "-f", "/nonexistent/meshctl-test");
        assertThat(verbose.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(verbose.errLines().getFirst())
                .isEqualTo("meshctl: /nonexistent/meshctl-test: no such file or directory");
        assertThat(verbose.err()).contains("MeshctlException", "\tat ");

        MeshctlRun rootVerbose = MeshctlRun.of("-v", "analyze", "-f", "/nonexistent/meshctl-test");
        assertThat(rootVerbose.err()).contains("\tat ");
    }
}
