package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a node's CNI network configuration list for a new pod the way containerd does through libcni: loopback
 * first, then each plugin in order inside the node's netns with the list's {@code cniVersion} and {@code name} and
 * the previous plugin's result as {@code prevResult}, the CNI environment naming the pod in {@code CNI_ARGS}.
 */
public final class CniChain {
    private static final List<Path> REFERENCE_PLUGINS = List.of(Path.of("/usr/lib/cni"), Path.of("/opt/cni/bin"));

    private final Path configList;
    private final Path binDir;
    private final Path nodeNetns;
    private final ObjectMapper json = new ObjectMapper();

    /** A pod as the runtime describes it to the plugins. */
    public record PodSandbox(String containerId, String namespace, String name, String uid, Path netns) {
        String cniArgs() {
            return "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + namespace + ";K8S_POD_NAME=" + name
                    + ";K8S_POD_INFRA_CONTAINER_ID=" + containerId + ";K8S_POD_UID=" + uid;
        }
    }

    public CniChain(Path configList, Path binDir, Path nodeNetns) {
        this.configList = configList;
        this.binDir = binDir;
        this.nodeNetns = nodeNetns;
    }

    /** ADD through the whole chain; returns the pod's IPv4 address from the final result. */
    public String add(PodSandbox pod) {
        ObjectNode loopback = json.createObjectNode();
        loopback.put("cniVersion", "1.0.0");
        loopback.put("name", "cni-loopback");
        loopback.put("type", "loopback");
        execute("ADD", pod, loopback, "lo");
        ObjectNode list = readList();
        JsonNode prevResult = null;
        for (JsonNode plugin : list.get("plugins")) {
            ObjectNode config = plugin.deepCopy();
            config.set("cniVersion", list.get("cniVersion"));
            config.set("name", list.get("name"));
            if (prevResult != null) {
                config.set("prevResult", prevResult);
            }
            prevResult = parse(execute("ADD", pod, config, "eth0"), config);
        }
        for (JsonNode ip : prevResult.path("ips")) {
            String address = ip.path("address").asText();
            if (address.contains(".")) {
                return address.substring(0, address.indexOf('/'));
            }
        }
        throw new IllegalStateException("the CNI chain gave " + pod.name() + " no IPv4 address: " + prevResult);
    }

    /**
     * DEL through the chain in reverse order (our plugin first, then the bridge and its IPAM), then loopback. Every
     * plugin is called even when one fails, as a runtime retries DEL until all succeed; the first failure is thrown.
     */
    public void delete(PodSandbox pod) {
        ObjectNode list = readList();
        List<JsonNode> plugins = new java.util.ArrayList<>();
        list.get("plugins").forEach(plugins::add);
        RuntimeException first = null;
        for (JsonNode plugin : plugins.reversed()) {
            ObjectNode config = plugin.deepCopy();
            config.set("cniVersion", list.get("cniVersion"));
            config.set("name", list.get("name"));
            try {
                execute("DEL", pod, config, "eth0");
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private ObjectNode readList() {
        try {
            if (json.readTree(Files.readString(configList)) instanceof ObjectNode list
                    && list.path("plugins").isArray()) {
                return list;
            }
            throw new IllegalStateException(configList + " is not a CNI network configuration list");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configList, e);
        }
    }

    private JsonNode parse(String stdout, JsonNode config) {
        try {
            JsonNode result = json.readTree(stdout);
            if (result == null || !result.isObject()) {
                throw new IOException("not a JSON object");
            }
            return result;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "CNI plugin " + config.path("type").asText() + " printed an unreadable result: " + stdout, e);
        }
    }

    private String execute(String command, PodSandbox pod, JsonNode config, String ifname) {
        String type = config.path("type").asText();
        Path binary = find(type);
        ProcessBuilder builder = new ProcessBuilder("nsenter", "--net=" + nodeNetns, "--", binary.toString());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(key -> key.startsWith("CNI_"));
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", pod.containerId());
        env.put("CNI_NETNS", pod.netns().toString());
        env.put("CNI_IFNAME", ifname);
        env.put("CNI_ARGS", pod.cniArgs());
        env.put(
                "CNI_PATH",
                binDir + ":"
                        + String.join(
                                ":",
                                REFERENCE_PLUGINS.stream().map(Path::toString).toList()));
        try {
            Process process = builder.start();
            CompletableFuture<String> out = HostCommand.drain(process.getInputStream());
            CompletableFuture<String> err = HostCommand.drain(process.getErrorStream());
            try (OutputStream in = process.getOutputStream()) {
                in.write(json.writeValueAsBytes(config));
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("CNI plugin " + type + " " + command + " took over 60 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("CNI plugin " + type + " " + command + " for " + pod.name()
                        + " failed (exit " + process.exitValue() + "): "
                        + out.join().strip() + " "
                        + err.join().strip());
            }
            return out.join();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run CNI plugin " + binary, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running CNI plugin " + type, e);
        }
    }

    private Path find(String type) {
        for (Path dir : java.util.stream.Stream.concat(java.util.stream.Stream.of(binDir), REFERENCE_PLUGINS.stream())
                .toList()) {
            if (Files.isExecutable(dir.resolve(type))) {
                return dir.resolve(type);
            }
        }
        throw new IllegalStateException("CNI plugin '" + type + "' not found in " + binDir + " or " + REFERENCE_PLUGINS
                + " (Debian package containernetworking-plugins)");
    }
}
