package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The local mesh's configuration as Kubernetes YAML in one folder, read by istiod-lite (--config-dir) and by the node
 * agents (--pod-state-dir). Files are written to a temporary name and renamed, so a reader never sees half a file.
 */
public final class MeshConfigFolder {
    public static final String NAMESPACE = "shop";
    public static final String OUTSIDE_NAMESPACE = "legacy";

    private static final String DATAPLANE_MODE = "istio.io/dataplane-mode";

    private final Path dir;
    private final Map<String, Map<String, String>> namespaceLabels = new TreeMap<>();
    private Map<DemoPod, String> podIps = Map.of();
    /** Labels set on pods after they were listed ({@code namespace/name} → labels), e.g. istio.io/use-waypoint. */
    private final Map<String, Map<String, String>> podLabels = new TreeMap<>();

    public MeshConfigFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Namespaces, Services and the mesh-wide STRICT PeerAuthentication. */
    public void writeBase(List<DemoService> services) throws IOException {
        namespaceLabels.computeIfAbsent(NAMESPACE, n -> new TreeMap<>()).put(DATAPLANE_MODE, "ambient");
        for (DemoService service : services) {
            namespaceLabels
                    .computeIfAbsent(service.namespace(), n -> new TreeMap<>())
                    .put(DATAPLANE_MODE, "ambient");
        }
        namespaceLabels.computeIfAbsent(OUTSIDE_NAMESPACE, n -> new TreeMap<>());
        namespaceLabels.computeIfAbsent("istio-system", n -> new TreeMap<>());
        writeNamespaces();
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
                      - {name: %s, port: %d, targetPort: %d}
                    """.formatted(
                            service.name(),
                            service.namespace(),
                            service.vip(),
                            service.name(),
                            service.portName(),
                            service.port(),
                            service.targetPort()));
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

    /**
     * Sets (or with a null value removes) a label on a namespace, e.g. {@code istio.io/use-waypoint}; istiod-lite and
     * the node agents see the change on their next read.
     */
    public synchronized void labelNamespace(String namespace, String key, String value) throws IOException {
        Map<String, String> labels = namespaceLabels.computeIfAbsent(namespace, n -> new TreeMap<>());
        if (value == null) {
            labels.remove(key);
        } else {
            labels.put(key, value);
        }
        writeNamespaces();
    }

    /** Whether the namespace carries {@code istio.io/dataplane-mode=ambient}. */
    public synchronized boolean isAmbient(String namespace) {
        return "ambient"
                .equals(namespaceLabels.getOrDefault(namespace, Map.of()).get(DATAPLANE_MODE));
    }

    private synchronized void writeNamespaces() throws IOException {
        StringBuilder yaml = new StringBuilder();
        namespaceLabels.forEach((namespace, labels) -> {
            yaml.append("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ")
                    .append(namespace)
                    .append('\n');
            if (!labels.isEmpty()) {
                yaml.append("  labels:\n");
                labels.forEach((k, v) ->
                        yaml.append("    ").append(k).append(": ").append(v).append('\n'));
            }
        });
        write("00-namespaces.yaml", yaml.toString());
    }

    /**
     * Writes (or replaces) a file of the user's own YAML, e.g. an Istio resource exactly as they wrote it. {@code
     * name} is a plain file name ending in {@code .yaml}.
     */
    public void apply(String name, String yaml) throws IOException {
        write(checkedName(name), yaml);
    }

    /**
     * Writes the user's YAML as {@code kubectl apply -n namespace} would take it: every document without
     * {@code metadata.namespace} is put in {@code namespace}, nothing else changes. Returns what was written.
     */
    public String applyInNamespace(String name, String yaml, String namespace) throws IOException {
        var mapper =
                new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()
                        .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                        .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES));
        StringBuilder out = new StringBuilder();
        try (var documents =
                mapper.readerFor(com.fasterxml.jackson.databind.JsonNode.class).readValues(yaml)) {
            while (documents.hasNext()) {
                var document = (com.fasterxml.jackson.databind.JsonNode) documents.next();
                if (document instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
                    var metadata = object.with("metadata");
                    if (!metadata.hasNonNull("namespace")) {
                        metadata.put("namespace", namespace);
                    }
                }
                if (document != null && !document.isMissingNode() && !document.isNull()) {
                    out.append("---\n").append(mapper.writeValueAsString(document));
                }
            }
        }
        apply(name, out.toString());
        return out.toString();
    }

    /** Removes a file written by {@link #apply}; true when it existed. */
    public boolean remove(String name) throws IOException {
        return Files.deleteIfExists(dir.resolve(checkedName(name)));
    }

    private static String checkedName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*\\.yaml")) {
            throw new IllegalArgumentException(
                    "config file name must be a plain name ending in .yaml (letters, digits, '.', '_', '-'): " + name);
        }
        return name;
    }

    /** The pods with the addresses the CNI chain gave them. */
    public synchronized void writePods(Map<DemoPod, String> ips) throws IOException {
        podIps = new java.util.LinkedHashMap<>(ips);
        StringBuilder yaml = new StringBuilder();
        ips.forEach((pod, ip) -> yaml.append("""
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  labels: {app: %s, version: %s%s}
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
                        extraLabels(pod),
                        pod.serviceAccount(),
                        pod.node(),
                        DemoService.TARGET_PORT,
                        ip)));
        write("30-pods.yaml", yaml.toString());
    }

    /**
     * Sets (or with a null value removes) a label on a listed pod, e.g. {@code istio.io/use-waypoint} to give its
     * workload-addressed traffic a waypoint of its own.
     */
    public synchronized void labelPod(String namespace, String name, String key, String value) throws IOException {
        boolean listed = podIps.keySet().stream()
                .anyMatch(p -> p.namespace().equals(namespace) && p.name().equals(name));
        if (!listed) {
            throw new IllegalArgumentException("no pod " + namespace + "/" + name + " in the local mesh");
        }
        Map<String, String> labels = podLabels.computeIfAbsent(namespace + "/" + name, n -> new TreeMap<>());
        if (value == null) {
            labels.remove(key);
        } else {
            labels.put(key, value);
        }
        writePods(podIps);
    }

    private String extraLabels(DemoPod pod) {
        StringBuilder out = new StringBuilder();
        podLabels
                .getOrDefault(pod.namespace() + "/" + pod.name(), Map.of())
                .forEach((k, v) -> out.append(", ").append(k).append(": ").append(v));
        return out.toString();
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
