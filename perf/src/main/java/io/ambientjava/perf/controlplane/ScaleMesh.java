package io.ambientjava.perf.controlplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A synthetic ambient mesh written as istiod-lite's local-folder YAML: {@code namespaces} ambient namespaces,
 * {@code services} Services spread evenly over them, {@code pods} Pods spread evenly over the Services and over
 * {@code nodes} nodes. Pods take 198.18.0.0/16, VIPs 198.19.0.0/16.
 */
public record ScaleMesh(int pods, int services, int namespaces, int nodes) {

    private static final int HOSTS_PER_BLOCK = 250;

    public ScaleMesh {
        if (pods < 1 || services < 1 || namespaces < 1 || nodes < 1) {
            throw new IllegalArgumentException("pods, services, namespaces and nodes must all be at least 1");
        }
        if (services > pods) {
            throw new IllegalArgumentException("need at least one pod per service (" + services + " > " + pods + ")");
        }
        if (pods + 1_000 > 256 * HOSTS_PER_BLOCK || services > 256 * HOSTS_PER_BLOCK) {
            throw new IllegalArgumentException("pods and services must fit in a /16 each (at most ~63,000)");
        }
    }

    /** Address resources a ztunnel receives for the whole mesh: one per pod and one per service. */
    public int addressCount() {
        return pods + services;
    }

    public String nodeName(int node) {
        return "node-" + node;
    }

    /** Writes one file per namespace into {@code folder} (which must exist). */
    public void writeTo(Path folder) throws IOException {
        for (int ns = 0; ns < namespaces; ns++) {
            StringBuilder yaml = new StringBuilder(256 * (pods / namespaces + 10));
            yaml.append("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ")
                    .append(namespace(ns))
                    .append("\n  labels: {istio.io/dataplane-mode: ambient}\n");
            for (int svc = ns; svc < services; svc += namespaces) {
                appendService(yaml, svc);
            }
            for (int pod = 0; pod < pods; pod++) {
                if (serviceOf(pod) % namespaces == ns) {
                    appendPod(yaml, pod, serviceOf(pod), podName(pod), podIp(pod));
                }
            }
            Files.writeString(folder.resolve("mesh-" + ns + ".yaml"), yaml);
        }
    }

    /**
     * Adds one extra pod of service 0 in its own file, written atomically (temp file + rename) so the watcher
     * never reads half of it. Returns the workload UID istiod-lite gives it.
     */
    public String addExtraPod(Path folder, int index) throws IOException {
        String name = "extra-" + index;
        StringBuilder yaml = new StringBuilder();
        appendPod(yaml, pods + index, 0, name, ipOf(pods + index));
        Path temp = folder.resolve(".extra-" + index + ".tmp");
        Files.writeString(temp, yaml);
        Files.move(temp, extraPodFile(folder, index), StandardCopyOption.ATOMIC_MOVE);
        return "Kubernetes//Pod/" + namespace(0) + "/" + name;
    }

    public void removeExtraPod(Path folder, int index) throws IOException {
        Files.delete(extraPodFile(folder, index));
    }

    private static Path extraPodFile(Path folder, int index) {
        return folder.resolve("extra-" + index + ".yaml");
    }

    private void appendService(StringBuilder yaml, int svc) {
        yaml.append("---\napiVersion: v1\nkind: Service\nmetadata: {name: ")
                .append(serviceName(svc))
                .append(", namespace: ")
                .append(namespace(svc % namespaces))
                .append("}\nspec:\n  clusterIP: ")
                .append(vip(svc))
                .append("\n  selector: {app: ")
                .append(serviceName(svc))
                .append("}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n");
    }

    private void appendPod(StringBuilder yaml, int pod, int svc, String name, String ip) {
        yaml.append("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ")
                .append(name)
                .append("\n  namespace: ")
                .append(namespace(svc % namespaces))
                .append("\n  labels: {app: ")
                .append(serviceName(svc))
                .append(", version: v1}\nspec:\n  serviceAccountName: ")
                .append(serviceName(svc))
                .append("\n  nodeName: ")
                .append(nodeName(pod % nodes))
                .append("\n  containers:\n  - {name: app, image: app, ports: [{containerPort: 8080}]}\n")
                .append("status: {phase: Running, podIP: ")
                .append(ip)
                .append("}\n");
    }

    private int serviceOf(int pod) {
        return pod % services;
    }

    private static String namespace(int ns) {
        return "scale-" + ns;
    }

    private static String serviceName(int svc) {
        return "svc-" + svc;
    }

    private static String podName(int pod) {
        return "pod-" + pod;
    }

    private static String podIp(int pod) {
        return ipOf(pod);
    }

    private static String ipOf(int index) {
        return "198.18." + (index / HOSTS_PER_BLOCK) + "." + (index % HOSTS_PER_BLOCK + 1);
    }

    private static String vip(int svc) {
        return "198.19." + (svc / HOSTS_PER_BLOCK) + "." + (svc % HOSTS_PER_BLOCK + 1);
    }
}
