package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local mesh commands' argument handling and errors, without a mesh: one line, the right exit code. */
class LocalMeshCliTest {
    @TempDir
    Path temp;

    @BeforeEach
    void isolateState() {
        System.setProperty(
                LocalMeshState.STATE_ROOT_PROPERTY, temp.resolve("state").toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty(LocalMeshState.STATE_ROOT_PROPERTY);
    }

    @Test
    void noMeshNamesLocalUp() {
        for (String[] command : new String[][] {
            {"local", "status"},
            {"pod", "list"},
            {"pod", "delete", "web"},
            {"pod", "run", "web"},
            {"local", "waypoint", "apply", "web-wp", "--for", "workload"},
            {"local", "waypoint", "list"},
            {"local", "waypoint", "delete", "web-wp"},
            {"label", "namespace", "default", "istio.io/dataplane-mode=ambient"}
        }) {
            MeshctlRun run = MeshctlRun.of(command);
            assertThat(run.exit()).as(String.join(" ", command)).isEqualTo(ExitCodes.FAILED);
            assertThat(run.errLines())
                    .containsExactly("meshctl: no local mesh 'default' is running; start one with `meshctl local up`"
                            + " (as root)");
        }
        assertThat(MeshctlRun.of("pod", "list", "--mesh", "lab").errLines())
                .containsExactly(
                        "meshctl: no local mesh 'lab' is running; start one with `meshctl local up --mesh lab` (as root)");
    }

    @Test
    void aCrashedMeshPointsAtDown() throws Exception {
        Path state = Files.createDirectories(temp.resolve("state/default"));
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor(10, TimeUnit.SECONDS);
        Files.writeString(state.resolve("supervisor.pid"), Long.toString(gone.pid()));

        MeshctlRun run = MeshctlRun.of("local", "status");

        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: local mesh 'default' is not running: its supervisor (pid " + gone.pid()
                        + ") has exited")
                .contains("`meshctl local down` removes what it left, `meshctl local up` starts it again");
    }

    @Test
    void aStartingMeshSaysSo() throws Exception {
        Path state = Files.createDirectories(temp.resolve("state/default"));
        Files.writeString(
                state.resolve("supervisor.pid"),
                Long.toString(ProcessHandle.current().pid()));

        assertThat(MeshctlRun.of("pod", "list").errLines())
                .containsExactly("meshctl: local mesh 'default' is still starting; try again in a few seconds");
    }

    @Test
    void badMeshNameIsOneLine() {
        MeshctlRun run = MeshctlRun.of("local", "status", "--mesh", "My_Mesh");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines()).singleElement().asString().startsWith("meshctl: invalid mesh name 'My_Mesh'");
    }

    @Test
    void applyValidatesFirstAndAppliesNothingOnErrors() throws Exception {
        Path bad = temp.resolve("bad.yaml");
        Files.writeString(bad, """
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec: {ports: [{port: 80}], bogus: 1}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: web}
                spec: {hosts: [web], tcp: 3}
                """);

        MeshctlRun run = MeshctlRun.of("apply", "-f", bad.toString());

        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines()).hasSize(3);
        assertThat(run.errLines().get(0)).contains("bad.yaml (document 1)", "Service default/web", "spec.bogus");
        assertThat(run.errLines().get(1)).contains("bad.yaml (document 2)", "VirtualService default/web");
        assertThat(run.errLines().get(2)).isEqualTo("meshctl: nothing applied: 2 errors");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void applyRefusesPodsAndNeedsFiles() throws Exception {
        Path pod = temp.resolve("pod.yaml");
        Files.writeString(pod, "{apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {containers: [{name: a}]}}");
        assertThat(MeshctlRun.of("apply", "-f", pod.toString()).errLines())
                .containsExactly(
                        "Pod default/web: pods of the local mesh are made with `meshctl pod run`",
                        "meshctl: nothing applied: 1 error");
        assertThat(MeshctlRun.of("apply").errLines().getFirst())
                .startsWith("meshctl: Missing required option: '--filename=FILE|DIR'");
        assertThat(MeshctlRun.of("apply", "-f", temp.resolve("none.yaml").toString())
                        .errLines())
                .containsExactly("meshctl: " + temp.resolve("none.yaml") + ": no such file or directory");
    }

    @Test
    void applyWithValidFilesButNoMeshNamesLocalUp() throws Exception {
        Path good = temp.resolve("good.yaml");
        Files.writeString(good, "{apiVersion: v1, kind: Service, metadata: {name: web}, spec: {ports: [{port: 80}]}}");
        assertThat(MeshctlRun.of("apply", "-f", good.toString()).errLines())
                .singleElement()
                .asString()
                .contains("no local mesh 'default' is running");
        assertThat(MeshctlRun.of("delete", "-f", good.toString()).errLines())
                .singleElement()
                .asString()
                .contains("no local mesh 'default' is running");
    }

    @Test
    void labelArgumentsAreCheckedBeforeAnythingElse() {
        MeshctlRun service = MeshctlRun.of("label", "service", "web", "a=b");
        assertThat(service.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(service.errLines())
                .containsExactly("meshctl: only namespaces and pods can be labelled in the local mesh, not 'service'"
                        + " (see meshctl label --help)");
        assertThat(MeshctlRun.of("label", "pod", "Web", "a=b").errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: invalid pod name 'Web'");
        assertThat(MeshctlRun.of("label", "pod", "web", "-n", "Shop", "a=b").errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: invalid namespace name 'Shop'");
        assertThat(MeshctlRun.of("label", "pod", "web", "-n", "shop", "a=b").errLines())
                .as("valid arguments get as far as finding the mesh")
                .singleElement()
                .asString()
                .contains("no local mesh 'default' is running");
        MeshctlRun badKey = MeshctlRun.of("label", "ns", "default", "a b=c");
        assertThat(badKey.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badKey.errLines()).singleElement().asString().startsWith("meshctl: invalid label key 'a b'");
        assertThat(MeshctlRun.of("label", "ns", "default").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void podRunArgumentsAreCheckedBeforeAnythingElse() {
        assertThat(MeshctlRun.of("pod", "run", "Web").errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: invalid pod name 'Web'");
        assertThat(MeshctlRun.of("pod", "run", "web", "--image-app", "nginx").errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: --image-app must be demo or none (or give a COMMAND after --), not 'nginx'");
        assertThat(MeshctlRun.of("pod", "run", "web", "--image-app", "demo", "--", "sleep", "9")
                        .errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: give either --image-app or a COMMAND after --, not both");
        assertThat(MeshctlRun.of("pod", "run", "web", "-l", "app").errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: 'app' is neither key=value");
        MeshctlRun port = MeshctlRun.of("pod", "run", "web", "--port", "70000");
        assertThat(port.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(port.errLines()).singleElement().asString().startsWith("meshctl: --port must be 1-65535");
    }

    @Test
    void waypointApplyArgumentsAreCheckedBeforeAnythingElse() {
        MeshctlRun badName = MeshctlRun.of("local", "waypoint", "apply", "Web_WP");
        assertThat(badName.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badName.errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: invalid waypoint name 'Web_WP'")
                .endsWith("(see meshctl local waypoint apply --help)");
        assertThat(MeshctlRun.of("local", "waypoint", "apply", "web-wp", "-n", "Shop")
                        .errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: invalid namespace name 'Shop'");
        MeshctlRun badTraffic = MeshctlRun.of("local", "waypoint", "apply", "web-wp", "--for", "everything");
        assertThat(badTraffic.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badTraffic.errLines())
                .containsExactly("meshctl: --for: 'everything' is not one of service, workload, all, none"
                        + " (see meshctl local waypoint apply --help)");
        assertThat(MeshctlRun.of("local", "waypoint", "apply", "web-wp", "extra")
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(MeshctlRun.of(
                                "local",
                                "waypoint",
                                "apply",
                                "-n",
                                "shop",
                                "--for",
                                "ALL",
                                "--node",
                                "node-b",
                                "--enroll-namespace",
                                "--mesh",
                                "lab")
                        .errLines())
                .as("valid arguments (NAME defaults to waypoint, as istioctl's) get as far as finding the mesh")
                .containsExactly(
                        "meshctl: no local mesh 'lab' is running; start one with `meshctl local up --mesh lab` (as root)");
        MeshctlRun yaml = MeshctlRun.of("local", "waypoint", "list", "-o", "yaml");
        assertThat(yaml.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(yaml.errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: -o yaml is not supported here; use table or json");
    }

    @Test
    void waypointDeleteArgumentsAreCheckedBeforeAnythingElse() {
        MeshctlRun noName = MeshctlRun.of("local", "waypoint", "delete");
        assertThat(noName.exit())
                .as("NAME is required (no default, as istioctl's)")
                .isEqualTo(ExitCodes.USAGE);
        assertThat(noName.errLines()).singleElement().asString().startsWith("meshctl: Missing required parameter");
        MeshctlRun badName = MeshctlRun.of("local", "waypoint", "delete", "Web_WP");
        assertThat(badName.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badName.errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: invalid waypoint name 'Web_WP'")
                .endsWith("(see meshctl local waypoint delete --help)");
        MeshctlRun badNamespace = MeshctlRun.of("local", "waypoint", "delete", "web-wp", "-n", "Shop");
        assertThat(badNamespace.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badNamespace.errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: invalid namespace name 'Shop'");
        assertThat(MeshctlRun.of("local", "waypoint", "delete", "web-wp", "other")
                        .exit())
                .as("one waypoint per delete")
                .isEqualTo(ExitCodes.USAGE);
        assertThat(MeshctlRun.of("local", "waypoint", "delete", "web-wp", "-n", "shop", "--mesh", "lab")
                        .errLines())
                .as("valid arguments get as far as finding the mesh")
                .containsExactly(
                        "meshctl: no local mesh 'lab' is running; start one with `meshctl local up --mesh lab` (as root)");
    }

    @Test
    void subcommandsAreListed() {
        assertThat(MeshctlRun.of("--help").out()).contains("local", "apply", "delete", "label", "pod");
        assertThat(MeshctlRun.of("local", "--help").out()).contains("up", "down", "status", "waypoint");
        assertThat(MeshctlRun.of("local", "waypoint", "--help").out()).contains("apply", "list", "delete");
        assertThat(MeshctlRun.of("local", "waypoint").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(MeshctlRun.of("pod", "--help").out()).contains("run", "list", "delete", "exec");
        assertThat(MeshctlRun.of("local").exit()).isEqualTo(ExitCodes.USAGE);
    }
}
