package io.ambientjava.ztunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.zds.ZdsServer;
import io.ambientjava.ztunnel.admin.HttpTestClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The ztunnel command in ZDS mode: pods come from a real node agent server, readiness waits for its snapshot. */
@RequiresRoot
@RequiresCommand({"ip", "ss"})
@Timeout(60)
class ZtunnelMainZdsTest {

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    @TempDir
    Path dir;

    @Test
    void readinessWaitsForTheAgentsSnapshotAndPodsComeFromIt() throws Exception {
        Path socket = dir.resolve("agent/ztunnel.sock");
        Pod pod = net.node(1).addPod("zdsmain");
        String uid = "Kubernetes//Pod/default/zdsmain";
        ZtunnelMainTest.LineCollector out = new ZtunnelMainTest.LineCollector();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ZtunnelMain.run(
                new String[] {
                    "--admin-port=0",
                    "--metrics-port=0",
                    "--readiness-port=0",
                    "--stats-address=127.0.0.1",
                    "--node=node1",
                    "--drain-timeout=1s",
                    "--zds-socket=" + socket
                },
                Map.of(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                process -> {}));
        try {
            String ready = out.awaitLine("ztunnel ready ", Duration.ofSeconds(30));
            Matcher m = Pattern.compile(
                            "ztunnel ready admin=127\\.0\\.0\\.1:(\\d+) .* readiness=127\\.0\\.0\\.1:(\\d+) .*")
                    .matcher(ready);
            assertThat(m.matches()).as(ready).isTrue();
            InetSocketAddress admin = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
            InetSocketAddress readiness = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(2)));

            var notReady = HttpTestClient.get(readiness, "/healthz/ready");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("waiting for the node agent's ZDS socket " + socket);
            assertThat(HttpTestClient.get(admin, "/config_dump").body()).contains("\"zdsSocket\" : \"" + socket + "\"");

            try (ZdsServer agent = ZdsServer.start(socket, ZdsServer.Settings.DEFAULTS)) {
                agent.addPod(
                        uid,
                        WorkloadInfo.newBuilder()
                                .setName("zdsmain")
                                .setNamespace("default")
                                .setServiceAccount("zdsmain")
                                .build(),
                        pod.netnsPath());
                await().atMost(Duration.ofSeconds(10))
                        .until(() ->
                                HttpTestClient.get(readiness, "/healthz/ready").statusCode() == 200);
                assertThat(pod.exec("ss", "-Hltn").orThrow().stdout())
                        .contains(":15001 ")
                        .contains(":15006 ")
                        .contains(":15008 ");
                assertThat(HttpTestClient.get(admin, "/config_dump").body()).contains(uid);

                agent.removePod(uid).get(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(
                                        pod.exec("ss", "-Hltn").orThrow().stdout())
                                .doesNotContain(":15008 "));
            }
            assertThat(HttpTestClient.post(admin, "/quitquitquit").statusCode()).isEqualTo(200);
            assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
            assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        } finally {
            exit.cancel(true);
        }
    }
}
