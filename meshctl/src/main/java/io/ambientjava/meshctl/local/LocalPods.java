package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.meshctl.local.ControlApi.PodInfo;
import io.ambientjava.meshctl.local.ControlApi.PodSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The pods of a running local mesh, owned by its supervisor: each a network namespace made through its node's CNI
 * chain (so the node agent decides enrollment from the labels, as in a cluster), a Pod in the config folder, and
 * the app running inside the namespace.
 */
final class LocalPods {
    private static final Duration APP_READY_TIMEOUT = Duration.ofSeconds(30);
    /** The nftables table the node agent installs in an enrolled pod's namespace. */
    private static final List<String> REDIRECTION_TABLE = List.of("nft", "list", "table", "inet", "ambient-java");

    private final LocalMesh mesh;
    private final MeshConfigStore store;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Pod> pods = new LinkedHashMap<>();

    private record Pod(PodSpec spec, String node, LocalMesh.PodNetwork network, ChildProcess app, String appText) {}

    LocalPods(LocalMesh mesh, MeshConfigStore store) {
        this.mesh = mesh;
        this.store = store;
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    /** Makes the pod and starts its app; on any failure nothing of it is left. */
    PodInfo run(PodSpec spec) throws Exception {
        PodArguments.checkName("pod", spec.name());
        PodArguments.checkName("namespace", spec.namespace());
        if (!store.exists(new ResourceKey(ResourceKind.NAMESPACE, "", spec.namespace()))) {
            throw new IllegalArgumentException("namespace '" + spec.namespace() + "' not found (apply a Namespace"
                    + " with `meshctl apply -f`; the mesh starts with 'default' and 'istio-system')");
        }
        String node;
        synchronized (pods) {
            if (pods.containsKey(key(spec.namespace(), spec.name()))) {
                throw new IllegalStateException("pod " + key(spec.namespace(), spec.name()) + " already exists");
            }
            node = chooseNode(spec.node());
            pods.put(key(spec.namespace(), spec.name()), new Pod(spec, node, null, null, "starting"));
        }
        ResourceKey podKey = new ResourceKey(ResourceKind.POD, spec.namespace(), spec.name());
        LocalMesh.PodNetwork network = null;
        ChildProcess app = null;
        try {
            store.locked(s -> s.put(podKey, podDocument(spec, node, null)));
            network = mesh.addPodNetwork(node, spec.namespace(), spec.name(), uid(spec));
            LocalMesh.PodNetwork made = network;
            store.locked(s -> s.put(podKey, podDocument(spec, node, made.ip())));
            String what = "app " + spec.namespace() + "/" + spec.name();
            String appText;
            switch (spec.image()) {
                case ControlApi.DEMO_APP -> {
                    app = mesh.launchInPod(
                            what,
                            network,
                            mesh.demoAppCommand(
                                    spec.labels().getOrDefault("app", spec.name()),
                                    spec.labels().getOrDefault("version", "v1"),
                                    spec.port()));
                    app.awaitLine("demo app ready", APP_READY_TIMEOUT);
                    appText = "demo app :" + spec.port();
                }
                case ControlApi.NO_APP -> appText = "none";
                default -> {
                    app = mesh.launchInPod(what, network, spec.command());
                    Thread.sleep(300);
                    if (!app.isAlive()) {
                        throw new IllegalStateException("the pod's command exited at once: "
                                + app.log().strip().lines().reduce((a, b) -> b).orElse("(no output)"));
                    }
                    appText = String.join(" ", spec.command());
                }
            }
            synchronized (pods) {
                pods.put(key(spec.namespace(), spec.name()), new Pod(spec, node, network, app, appText));
            }
            return info(pods.get(key(spec.namespace(), spec.name())));
        } catch (Exception | Error e) {
            if (app != null) {
                app.close();
            }
            if (network != null) {
                try {
                    mesh.removePodNetwork(network);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            store.locked(s -> s.remove(podKey));
            synchronized (pods) {
                pods.remove(key(spec.namespace(), spec.name()));
            }
            throw e;
        }
    }

    /** Stops the app, runs CNI DEL (the node agent unenrolls the pod), removes the namespace and the Pod. */
    void delete(String namespace, String name) throws IOException {
        Pod pod;
        synchronized (pods) {
            pod = pods.get(key(namespace, name));
            if (pod == null) {
                throw new NoSuchElementException("pod " + key(namespace, name) + " not found");
            }
            if (pod.network() == null) {
                throw new IllegalStateException("pod " + key(namespace, name) + " is still starting; try again");
            }
            pods.remove(key(namespace, name));
        }
        if (pod.app() != null) {
            pod.app().close();
        }
        try {
            mesh.removePodNetwork(pod.network());
        } finally {
            store.locked(s -> s.remove(new ResourceKey(ResourceKind.POD, namespace, name)));
        }
    }

    List<PodInfo> list() {
        List<Pod> all;
        synchronized (pods) {
            all = List.copyOf(pods.values());
        }
        return all.stream()
                .filter(p -> p.network() != null)
                .map(this::info)
                .sorted(Comparator.comparing(PodInfo::namespace).thenComparing(PodInfo::name))
                .toList();
    }

    private PodInfo info(Pod pod) {
        boolean enrolled = HostCommand.inNetns(pod.network().netns(), REDIRECTION_TABLE.toArray(String[]::new))
                .run()
                .ok();
        return new PodInfo(
                pod.spec().name(),
                pod.spec().namespace(),
                pod.network().ip(),
                pod.node(),
                enrolled,
                pod.spec().serviceAccount(),
                pod.appText(),
                pod.app() == null || pod.app().isAlive(),
                labels(pod.spec()),
                pod.network().netns().toString());
    }

    private String chooseNode(String wanted) {
        List<String> nodes = mesh.nodeNames();
        if (!wanted.isEmpty()) {
            if (!nodes.contains(wanted)) {
                throw new IllegalArgumentException(
                        "no node '" + wanted + "' (nodes: " + String.join(", ", nodes) + ")");
            }
            return wanted;
        }
        Map<String, Integer> load = new LinkedHashMap<>();
        nodes.forEach(n -> load.put(n, 0));
        pods.values().forEach(p -> load.merge(p.node(), 1, Integer::sum));
        return load.entrySet().stream()
                .min(Map.Entry.comparingByValue())
                .orElseThrow()
                .getKey();
    }

    /** The workload UID istiod-lite derives for a pod, used as the CNI pod UID so ZDS and xDS agree. */
    private static String uid(PodSpec spec) {
        return "Kubernetes//Pod/" + spec.namespace() + "/" + spec.name();
    }

    static Map<String, String> labels(PodSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>(spec.labels());
        labels.putIfAbsent("app", spec.name());
        return labels;
    }

    private ObjectNode podDocument(PodSpec spec, String node, String ip) {
        ObjectNode pod = json.createObjectNode();
        pod.put("apiVersion", "v1");
        pod.put("kind", "Pod");
        ObjectNode metadata = pod.putObject("metadata");
        metadata.put("name", spec.name());
        metadata.put("namespace", spec.namespace());
        ObjectNode labels = metadata.putObject("labels");
        labels(spec).forEach(labels::put);
        ObjectNode podSpec = pod.putObject("spec");
        podSpec.put("serviceAccountName", spec.serviceAccount());
        podSpec.put("nodeName", node);
        ObjectNode container = podSpec.putArray("containers").addObject();
        container.put("name", "app");
        container.put("image", spec.image());
        if (spec.image().equals(ControlApi.DEMO_APP)) {
            ObjectNode port = container.putArray("ports").addObject();
            port.put("name", "http");
            port.put("containerPort", spec.port());
        }
        ObjectNode status = pod.putObject("status");
        status.put("phase", ip == null ? "Pending" : "Running");
        if (ip != null) {
            status.put("podIP", ip);
        }
        return pod;
    }
}
