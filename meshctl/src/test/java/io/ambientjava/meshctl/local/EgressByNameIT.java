package io.ambientjava.meshctl.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.dns.Dnsmasq;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Egress the way an Istio user writes it in ambient mode: a ServiceEntry for a host outside the mesh, with no
 * addresses and {@code resolution: DNS}, in a namespace that uses a waypoint. A pod with DNS capture looks the name up
 * (its stub resolver, glibc's {@code getent}, asks any nameserver; the node agent's rules take the query to ztunnel's
 * DNS proxy), gets the address istiod-lite allocated for the host, and curl's request to the name goes ztunnel →
 * waypoint, which resolves the host with the real resolver (dnsmasq) and sends it there. The real jars on one simulated
 * node.
 */
@RequiresRoot
@RequiresCommand({"ip", "nft", "nsenter", "curl", "getent", "dnsmasq"})
@Timeout(240)
class EgressByNameIT {
    static final String NS = "default";
    /** Where istiod-lite allocates ServiceEntry addresses in this mesh (Istio's default range is left alone). */
    static final String RANGE_PREFIX = "198.19.250.";

    static final DemoPod CLIENT = new DemoPod("client", "", "v1", NS, "client", "node-a");
    static final DemoPod OUTSIDE =
            new DemoPod("outside", "", "v1", MeshConfigFolder.OUTSIDE_NAMESPACE, "default", "node-a");

    static LocalMesh mesh;
    static Dnsmasq externalDns;
    static MeshProxy waypoint;
    static Path clientResolvConf;

    @BeforeAll
    static void startMesh() throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent();
        for (String jar : List.of(
                "istiod-lite/target/istiod-lite.jar",
                "ztunnel-java/target/ztunnel.jar",
                "cni-plugin/target/ambient-cni.jar",
                "waypoint/target/waypoint.jar")) {
            Assumptions.assumeTrue(Files.isRegularFile(repo.resolve(jar)), "needs " + jar + " (build that module)");
        }
        long start = System.nanoTime();
        mesh = LocalMesh.create(
                DemoJars.locate(repo),
                line -> System.out.printf("[%5.1fs] %s%n", (System.nanoTime() - start) / 1e9, line));
        try {
            externalDns = Dnsmasq.startOnLoopback(new Dnsmasq.Zone("external.test"));
            mesh.useDnsUpstream(externalDns.address());
            mesh.captureDns();
            mesh.useServiceEntryAddressRange(RANGE_PREFIX + "0/24");
            mesh.config().labelNamespace(NS, "istio.io/dataplane-mode", "ambient");
            mesh.start(List.of("node-a"), List.of(), List.of(CLIENT, OUTSIDE));
            waypoint = mesh.addWaypoint(NS, "waypoint", "node-a");
            externalDns.alsoIn(waypoint.netns());
            mesh.config().labelNamespace(NS, "istio.io/use-waypoint", "waypoint");
            // what kubelet writes for a pod: a cluster nameserver (any address: the DNS capture takes the query)
            String netnsName = mesh.netnsOf(CLIENT).getFileName().toString();
            clientResolvConf =
                    Files.createDirectories(Path.of("/etc/netns", netnsName)).resolve("resolv.conf");
            Files.writeString(clientResolvConf, """
                    nameserver 198.19.0.53
                    search default.svc.cluster.local svc.cluster.local cluster.local
                    options ndots:5 timeout:1 attempts:2
                    """);
        } catch (Throwable e) {
            System.out.println("problems: " + String.join("\n", mesh.recentProblems()));
            stopMesh();
            throw e;
        }
    }

    @AfterAll
    static void stopMesh() throws Exception {
        try {
            if (clientResolvConf != null) {
                Files.deleteIfExists(clientResolvConf);
                Files.deleteIfExists(clientResolvConf.getParent());
            }
            if (externalDns != null) {
                externalDns.close();
                externalDns = null;
            }
        } finally {
            if (mesh != null) {
                String name = mesh.name();
                mesh.close();
                mesh = null;
                assertThat(DemoCommand.leftovers(name)).isEmpty();
            }
        }
    }

    @Test
    void aPodCallsAnExternalHostByNameThroughItsNamespacesWaypoint() throws Exception {
        mesh.launchIn(
                OUTSIDE,
                "external api",
                L7ThroughTheMeshIT.testJvm(
                        DemoApp.class, "--name", "httpbin-external", "--version", "v1", "--port", "8080"),
                "demo app ready");
        externalDns.publish("httpbin.external.test", mesh.ipOf(OUTSIDE));
        mesh.config().apply("60-egress.yaml", """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: httpbin-external, namespace: default}
                spec:
                  hosts: [httpbin.external.test]
                  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
                  location: MESH_EXTERNAL
                  resolution: DNS
                """);

        String address = awaitLookup("httpbin.external.test");
        HostCommand.Result page = awaitCurl("http://httpbin.external.test/", "httpbin-external v1");
        System.out.println("MEASURED egress by name: httpbin.external.test -> " + address + "; "
                + page.stdout().strip());

        assertThat(address).as("the address istiod-lite allocated for the host").startsWith(RANGE_PREFIX);
        assertThat(page.stdout())
                .startsWith("httpbin-external v1")
                .as("through the namespace's waypoint")
                .contains("saw peer " + waypoint.ip());
        assertThat(externalDns.log()).contains("query[A] httpbin.external.test");
    }

    /** The pod's own stub resolver (glibc, with the pod's resolv.conf), until the mesh answers the name. */
    private static String awaitLookup(String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String netnsName = mesh.netnsOf(CLIENT).getFileName().toString();
        HostCommand.Result last = null;
        while (System.nanoTime() < deadline) {
            last = HostCommand.of("ip", "netns", "exec", netnsName, "getent", "ahostsv4", name)
                    .run();
            if (last.ok() && last.stdout().startsWith(RANGE_PREFIX)) {
                return last.stdout().split("\\s+")[0];
            }
            Thread.sleep(300);
        }
        HostCommand.Result nft = HostCommand.of("ip", "netns", "exec", netnsName, "nft", "list", "ruleset")
                .run();
        String rules = netnsName + " exit " + nft.exitCode() + "\n" + nft.stdout() + nft.stderr();
        String logs;
        try (var files = Files.list(mesh.dir().resolve("logs"))) {
            StringBuilder b = new StringBuilder();
            for (Path f : files.toList()) {
                b.append("== ").append(f.getFileName()).append('\n');
                Files.readAllLines(f).stream()
                        .filter(l -> !l.startsWith("WARNING: "))
                        .limit(60)
                        .forEach(l -> b.append(l).append('\n'));
            }
            logs = b.toString();
        } catch (java.io.IOException e) {
            logs = e.toString();
        }
        throw new AssertionError("the pod never resolved " + name + " to an allocated address: "
                + (last == null ? "" : last.exitCode() + " " + last.stdout() + last.stderr()) + "\nrules:\n" + rules
                + "\nlogs:\n" + logs);
    }

    private static HostCommand.Result awaitCurl(String url, String prefix) throws InterruptedException {
        String netnsName = mesh.netnsOf(CLIENT).getFileName().toString();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HostCommand.Result last;
        do {
            List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netnsName, "curl", "-sS", "-m", "5"));
            argv.add(url);
            last = HostCommand.of(argv.toArray(String[]::new)).run();
            if (last.ok() && last.stdout().startsWith(prefix)) {
                return last;
            }
            Thread.sleep(300);
        } while (System.nanoTime() < deadline);
        return last;
    }
}
