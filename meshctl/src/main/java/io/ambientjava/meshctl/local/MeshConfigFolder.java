package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * The local mesh's configuration as Kubernetes YAML in one folder, read by istiod-lite (--config-dir) and by the node
 * agents (--pod-state-dir). Files are written to a temporary name and renamed, so a reader never sees half a file.
 */
public final class MeshConfigFolder {
    public static final String NAMESPACE = "shop";
    public static final String OUTSIDE_NAMESPACE = "legacy";

    private final Path dir;

    public MeshConfigFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Namespaces, Services and the mesh-wide STRICT PeerAuthentication. */
    public void writeBase(List<DemoService> services) throws IOException {
        write("00-namespaces.yaml", """
                apiVersion: v1
                kind: Namespace
                metadata: {name: %s, labels: {istio.io/dataplane-mode: ambient}}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: %s}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: istio-system}
                """.formatted(NAMESPACE, OUTSIDE_NAMESPACE));
        StringBuilder yaml = new StringBuilder();
        for (DemoService service : services) {
            yaml.append("""
                    ---
                    apiVersion: v1
                    kind: Service
                    metadata: {name: %s, namespace: %s}
                    spec:
                      clusterIP: %s
                      selector: {app: %s}
                      ports:
                      - {name: http, port: %d, targetPort: %d}
                    """.formatted(
                            service.name(),
                            NAMESPACE,
                            service.vip(),
                            service.name(),
                            DemoService.PORT,
                            DemoService.TARGET_PORT));
        }
        write("10-services.yaml", yaml.toString());
        write("20-peer-authentication.yaml", """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: istio-system}
                spec:
                  mtls: {mode: STRICT}
                """);
    }

    /** The pods with the addresses the CNI chain gave them. */
    public void writePods(Map<DemoPod, String> ips) throws IOException {
        StringBuilder yaml = new StringBuilder();
        ips.forEach((pod, ip) -> yaml.append("""
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  labels: {app: %s, version: %s}
                spec:
                  serviceAccountName: %s
                  nodeName: %s
                  containers:
                  - {name: app, image: demo-app, ports: [{name: http, containerPort: %d}]}
                status: {phase: Running, podIP: %s}
                """.formatted(
                        pod.name(),
                        pod.namespace(),
                        pod.servesApp() ? pod.service() : pod.name(),
                        pod.version(),
                        pod.serviceAccount(),
                        pod.node(),
                        DemoService.TARGET_PORT,
                        ip)));
        write("30-pods.yaml", yaml.toString());
    }

    /** An L4 ALLOW policy: only {@code allowedServiceAccount} may call the pods of {@code service}. Returns its YAML. */
    public String writeAllowOnly(String service, String allowedServiceAccount) throws IOException {
        String yaml =
                """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: %s-from-%s, namespace: %s}
                spec:
                  selector: {matchLabels: {app: %s}}
                  action: ALLOW
                  rules:
                  - from: [{source: {principals: ["cluster.local/ns/%s/sa/%s"]}}]
                """.formatted(service, allowedServiceAccount, NAMESPACE, service, NAMESPACE, allowedServiceAccount);
        write("40-" + service + "-policy.yaml", yaml);
        return yaml;
    }

    /** istiod-lite's CA tokens: one per node's ztunnel. */
    public static String tokens(Map<String, String> tokenByNode) {
        StringBuilder yaml = new StringBuilder("tokens:\n");
        tokenByNode.forEach((node, token) -> yaml.append("""
                - token: %s
                  namespace: istio-system
                  serviceAccount: ztunnel
                  node: %s
                """.formatted(token, node)));
        return yaml.toString();
    }

    private void write(String name, String content) throws IOException {
        Path temp = dir.resolve("." + name + ".tmp");
        Files.writeString(temp, content);
        Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
}
