package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.meshctl.MeshctlRun;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code meshctl demo} end to end, in-process: the real istiod-lite, node agent and ztunnel jars, two simulated
 * nodes, pods through the CNI chain. Checks what the user is told and that nothing of the run is left behind.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft", "nsenter", "curl"})
@Timeout(300)
class DemoCommandIT {

    @Test
    void walksThroughL4AndLeavesNothingBehind() throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent();
        for (String jar : new String[] {
            "istiod-lite/target/istiod-lite.jar",
            "ztunnel-java/target/ztunnel.jar",
            "cni-plugin/target/ambient-cni.jar",
            "waypoint/target/waypoint.jar"
        }) {
            Assumptions.assumeTrue(Files.isRegularFile(repo.resolve(jar)), "needs " + jar + " (build that module)");
        }

        boolean prometheus = Files.isExecutable(Path.of("/usr/bin/prometheus"));
        MeshctlRun run = prometheus
                ? MeshctlRun.of("demo", "--repo", repo.toString(), "--prometheus")
                : MeshctlRun.of("demo", "--repo", repo.toString());
        System.out.println(run.out());

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("istiod-lite ready")
                .contains("mesh ready")
                .containsPattern(
                        "frontend -> product-api +product-api v1 \\(saw peer 198\\.18\\.1\\.\\d+\\) +mTLS"
                                + " spiffe://cluster.local/ns/shop/sa/frontend -> spiffe://cluster.local/ns/shop/sa/product-api")
                .contains("product-api v2")
                .containsPattern("spiffe://cluster.local/ns/shop/sa/cart -> spiffe://cluster.local/ns/shop/sa/payment"
                        + " \\[mutual_tls, reported by node-b")
                .contains("DENIED cart -> payment")
                .contains("allow policies exist but none matched")
                .contains("REFUSED legacy/outside (not in the mesh)")
                .contains("istio_converted_static_strict")
                .containsPattern("node-b +istio_tcp_connections_opened_total +[1-9]")
                .contains("waypoint shop/waypoint on node-a")
                .contains("now goes pod -> ztunnel -> waypoint")
                .containsPattern("2000 requests frontend -> product-api: v1 \\d+ \\((8[7-9]|9[0-3])\\.\\d%\\), v2 \\d+"
                        + " \\(([7-9]|1[0-3])\\.\\d%\\), other 0")
                .containsPattern("cart -> inventory \\(2 s to answer\\): upstream request timeout \\[HTTP 504 in 1\\.")
                .containsPattern("cart -> inventory \\(at once\\): +inventory v1 .*\\[HTTP 200")
                .containsPattern(
                        "istio_requests_total product-api\\.shop\\.svc\\.cluster\\.local +200 +from frontend-v1 +\\d+")
                .containsPattern("istio_requests_total inventory\\.shop\\.svc\\.cluster\\.local +504")
                .containsPattern(prometheus ? "Prometheus: http://127\\.0\\.0\\.1:\\d+/graph\\?g0\\.expr=sum" : "")
                .doesNotContain("UNEXPECTED")
                .doesNotContain("FAILED");
        Matcher name =
                Pattern.compile("local mesh (aj-demo-[0-9a-f]+) starting").matcher(run.out());
        assertThat(name.find()).isTrue();
        assertThat(run.out()).contains("teardown complete: no " + name.group(1));
        assertThat(DemoCommand.leftovers(name.group(1))).isEmpty();
        assertThat(new io.ambientjava.meshctl.local.HostCommand(java.util.List.of("ip", "-all", "netns", "list"))
                        .run()
                        .stdout())
                .doesNotContain(name.group(1));
    }
}
