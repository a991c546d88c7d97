package io.ambientjava.meshctl.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlRun;
import io.ambientjava.meshctl.MockKubeconfig;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshctl waypoint}: the Gateway istioctl generates, and apply/list/delete against a mock API server. */
@EnableKubernetesMockClient(crud = true, https = false)
class WaypointCommandTest {

    /** What {@code istioctl waypoint generate -n bookinfo} prints. */
    static final String ISTIOCTL_WAYPOINT = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata:
              labels:
                istio.io/waypoint-for: service
              name: waypoint
              namespace: bookinfo
            spec:
              gatewayClassName: istio-waypoint
              listeners:
              - name: mesh
                port: 15008
                protocol: HBONE
            """;

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    Path kubeconfig;

    @BeforeEach
    void cluster() throws IOException {
        kubeconfig = MockKubeconfig.write(dir, server);
        client.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("bookinfo")
                        .endMetadata()
                        .build())
                .create();
    }

    private MeshctlRun meshctl(String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--kubeconfig";
        all[args.length + 1] = kubeconfig.toString();
        return MeshctlRun.of(all);
    }

    @Test
    void generateMatchesIstioctl() {
        MeshctlRun run = MeshctlRun.of("waypoint", "generate", "-n", "bookinfo");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo(ISTIOCTL_WAYPOINT);
    }

    @Test
    void generateWithOptions() {
        MeshctlRun run = MeshctlRun.of(
                "waypoint", "generate", "-n", "bookinfo", "--name", "reviews-wp", "--for", "workload", "-r", "canary");
        assertThat(run.out()).contains("name: reviews-wp", "istio.io/waypoint-for: workload", "istio.io/rev: canary");
    }

    @Test
    void dryRunPrintsWithoutACluster() throws IOException {
        MeshctlRun run = MeshctlRun.of("waypoint", "apply", "-n", "bookinfo", "--dry-run");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo(ISTIOCTL_WAYPOINT);

        MeshctlRun enroll = MeshctlRun.of("waypoint", "apply", "-n", "bookinfo", "--dry-run", "--enroll-namespace");
        assertThat(enroll.out())
                .isEqualTo(ISTIOCTL_WAYPOINT + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n"
                        + "    istio.io/use-waypoint: waypoint\n  name: bookinfo\n");

        Path file = dir.resolve("waypoint.yaml");
        MeshctlRun written =
                MeshctlRun.of("waypoint", "apply", "-n", "bookinfo", "--dry-run", "--output-file", file.toString());
        assertThat(written.exit()).isZero();
        assertThat(Files.readString(file)).isEqualTo(ISTIOCTL_WAYPOINT);

        MeshctlRun json = MeshctlRun.of("waypoint", "apply", "-n", "bookinfo", "--dry-run", "-o", "json");
        assertThat(json.out()).contains("\"gatewayClassName\" : \"istio-waypoint\"");
    }

    @Test
    void badNamesAreRefusedBeforeAnythingIsSent() {
        MeshctlRun run = MeshctlRun.of("waypoint", "generate", "-n", "Book_Info");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines())
                .containsExactly("meshctl: --namespace 'Book_Info' is not a valid name (lower-case letters, digits"
                        + " and '-', at most 63 characters)");
    }

    @Test
    void applyListDeleteAgainstTheApiServer() {
        MeshctlRun apply = meshctl("waypoint", "apply", "-n", "bookinfo", "--enroll-namespace");
        assertThat(apply.exit()).as(apply.err()).isZero();
        assertThat(apply.out())
                .isEqualTo("waypoint bookinfo/waypoint applied\n"
                        + "namespace bookinfo labeled with \"istio.io/use-waypoint=waypoint\"\n");

        Gateway stored = client.resources(Gateway.class)
                .inNamespace("bookinfo")
                .withName("waypoint")
                .get();
        assertThat(stored.getSpec().getGatewayClassName()).isEqualTo("istio-waypoint");
        assertThat(stored.getSpec().getListeners().getFirst().getPort()).isEqualTo(15008);
        assertThat(stored.getSpec().getListeners().getFirst().getProtocol()).isEqualTo("HBONE");
        assertThat(stored.getMetadata().getLabels()).containsEntry("istio.io/waypoint-for", "service");
        assertThat(client.namespaces().withName("bookinfo").get().getMetadata().getLabels())
                .containsEntry("istio.io/use-waypoint", "waypoint");

        // A Gateway of another class is not a waypoint and is not listed.
        client.resources(Gateway.class)
                .inNamespace("bookinfo")
                .resource(new GatewayBuilder()
                        .withNewMetadata()
                        .withName("ingress")
                        .withNamespace("bookinfo")
                        .endMetadata()
                        .withNewSpec()
                        .withGatewayClassName("istio")
                        .addNewListener()
                        .withName("http")
                        .withPort(80)
                        .withProtocol("HTTP")
                        .endListener()
                        .endSpec()
                        .build())
                .create();

        MeshctlRun list = meshctl("waypoint", "list", "-n", "bookinfo");
        assertThat(list.exit()).isZero();
        assertThat(list.out())
                .isEqualTo("NAME       REVISION   PROGRAMMED   FOR\nwaypoint   default    Unknown      service\n");
        MeshctlRun all = meshctl("waypoint", "list", "-A", "-o", "yaml");
        assertThat(all.out()).contains("name: waypoint").doesNotContain("name: ingress");

        MeshctlRun again = meshctl("waypoint", "apply", "-n", "bookinfo");
        assertThat(again.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(again.errLines())
                .containsExactly("meshctl: waypoint bookinfo/waypoint already exists; use --overwrite to replace it");
        MeshctlRun overwrite =
                meshctl("waypoint", "apply", "-n", "bookinfo", "--overwrite", "--for", "all", "-o", "yaml");
        assertThat(overwrite.exit()).as(overwrite.err()).isZero();
        assertThat(overwrite.out()).contains("istio.io/waypoint-for: all");

        MeshctlRun delete = meshctl("waypoint", "delete", "-n", "bookinfo", "waypoint");
        assertThat(delete.exit()).isZero();
        assertThat(delete.out()).isEqualTo("waypoint bookinfo/waypoint deleted\n");
        assertThat(meshctl("waypoint", "list", "-n", "bookinfo").out())
                .isEqualTo("No waypoints found in namespace bookinfo.\n");

        MeshctlRun missing = meshctl("waypoint", "delete", "-n", "bookinfo", "ingress");
        assertThat(missing.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(missing.errLines()).containsExactly("meshctl: waypoint bookinfo/ingress not found");
    }

    @Test
    void applyWithWaitReturnsOnceTheControllerSaysProgrammed() throws Exception {
        Thread controller = Thread.ofPlatform().start(() -> {
            // what istiod-lite's waypoint deployment controller does once the waypoint's Service has an address
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                Gateway g = client.resources(Gateway.class)
                        .inNamespace("bookinfo")
                        .withName("waypoint")
                        .get();
                if (g != null) {
                    g.setStatus(new GatewayStatusBuilder()
                            .addNewAddress()
                            .withType("IPAddress")
                            .withValue("198.19.0.9")
                            .endAddress()
                            .addToConditions(new io.fabric8.kubernetes.api.model.ConditionBuilder()
                                    .withType("Programmed")
                                    .withStatus("True")
                                    .withReason("Programmed")
                                    .withMessage("")
                                    .withLastTransitionTime("2026-11-26T00:00:00Z")
                                    .build())
                            .build());
                    client.resources(Gateway.class)
                            .inNamespace("bookinfo")
                            .resource(g)
                            .updateStatus();
                    return;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        MeshctlRun apply = meshctl("waypoint", "apply", "-n", "bookinfo", "--wait", "--wait-timeout", "20s");
        controller.join(10_000);

        assertThat(apply.exit()).as(apply.err()).isZero();
        assertThat(apply.out()).isEqualTo("waypoint bookinfo/waypoint applied\n");
        assertThat(meshctl("waypoint", "list", "-n", "bookinfo").out()).contains("True");
    }

    @Test
    void applyWithWaitFailsAtTheTimeoutWithTheControllersReason() {
        MeshctlRun apply = meshctl("waypoint", "apply", "-n", "bookinfo", "--wait", "--wait-timeout", "1s");

        assertThat(apply.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(apply.errLines())
                .containsExactly("meshctl: waypoint bookinfo/waypoint is not programmed after 1s: no Programmed"
                        + " condition yet (is istiod-lite deploying waypoints?)");
        assertThat(client.resources(Gateway.class)
                        .inNamespace("bookinfo")
                        .withName("waypoint")
                        .get())
                .as("applied all the same")
                .isNotNull();
    }

    @Test
    void waitWithDryRunOrABadTimeoutIsRefused() {
        MeshctlRun dry = meshctl("waypoint", "apply", "-n", "bookinfo", "--wait", "--dry-run");
        assertThat(dry.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(dry.errLines()).containsExactly("meshctl: --wait cannot be used with --dry-run");

        MeshctlRun bad = meshctl("waypoint", "apply", "-n", "bookinfo", "--wait", "--wait-timeout", "soon");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("'soon' is not a duration");
        assertThat(client.resources(Gateway.class)
                        .inNamespace("bookinfo")
                        .withName("waypoint")
                        .get())
                .isNull();
    }

    @Test
    void deleteAllRemovesEveryWaypointOfTheNamespace() {
        assertThat(meshctl("waypoint", "apply", "-n", "bookinfo", "--name", "a").exit())
                .isZero();
        assertThat(meshctl("waypoint", "apply", "-n", "bookinfo", "--name", "b").exit())
                .isZero();
        MeshctlRun delete = meshctl("waypoint", "delete", "-n", "bookinfo", "--all");
        assertThat(delete.out()).isEqualTo("waypoint bookinfo/a deleted\nwaypoint bookinfo/b deleted\n");
        assertThat(meshctl("waypoint", "delete", "-n", "bookinfo").errLines())
                .containsExactly("meshctl: name a waypoint to delete, or use --all");
    }

    @Test
    void applyToAMissingNamespaceFails() {
        MeshctlRun run = meshctl("waypoint", "apply", "-n", "nowhere");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines()).containsExactly("meshctl: namespace nowhere does not exist");
    }

    @Test
    void unreachableClusterIsOneLine() throws IOException {
        Path gone = MockKubeconfig.unreachable(dir);
        MeshctlRun run = MeshctlRun.of("waypoint", "apply", "-n", "bookinfo", "--kubeconfig", gone.toString());
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines())
                .singleElement()
                .asString()
                .startsWith("meshctl: applying waypoint bookinfo/waypoint: cannot reach the Kubernetes API server");
    }

    @Test
    void missingKubeconfigIsOneLine() {
        MeshctlRun run = MeshctlRun.of(
                "waypoint", "list", "--kubeconfig", dir.resolve("nope").toString());
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines()).containsExactly("meshctl: --kubeconfig " + dir.resolve("nope") + ": no such file");
    }

    @Test
    void noClusterAtAllSaysHowToWorkWithoutOne() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getenv("KUBECONFIG") == null && System.getenv("KUBERNETES_SERVICE_HOST") == null);
        String home = System.getProperty("user.home");
        System.setProperty("user.home", dir.toString());
        try {
            MeshctlRun run = MeshctlRun.of("waypoint", "apply", "-n", "bookinfo");
            assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
            assertThat(run.errLines())
                    .containsExactly("meshctl: no cluster to talk to: no kubeconfig (--kubeconfig, $KUBECONFIG,"
                            + " ~/.kube/config) and not running inside a cluster (use --dry-run or --render to work"
                            + " without one)");
        } finally {
            System.setProperty("user.home", home);
        }
    }

    @Test
    void generatedWaypointPassesIstiodLitesValidation() throws IOException {
        Path file = Files.writeString(
                dir.resolve("waypoint.yaml"),
                MeshctlRun.of("waypoint", "generate", "-n", "bookinfo", "--for", "all")
                        .out());
        MeshctlRun analyze = MeshctlRun.of("analyze", "-f", file.toString());
        assertThat(analyze.exit()).as(analyze.out()).isZero();
        assertThat(analyze.out()).isEqualTo("No validation issues found (1 resource in 1 file).\n");
    }
}
