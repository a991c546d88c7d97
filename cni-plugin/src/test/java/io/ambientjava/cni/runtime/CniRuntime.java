package io.ambientjava.cni.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Executes a CNI network configuration list the way containerd and CRI-O do (through libcni): ADD runs the
 * plugins in order, each getting the list's {@code cniVersion} and {@code name} and the previous plugin's result
 * as {@code prevResult}; the last result is cached per container; DEL runs them in reverse with the cached result
 * as {@code prevResult}; CHECK in order with it. Plugins are found in {@code CNI_PATH} and run with the CNI
 * environment ({@code CNI_COMMAND}, {@code CNI_CONTAINERID}, {@code CNI_NETNS}, {@code CNI_IFNAME}, {@code
 * CNI_ARGS}, {@code CNI_PATH}). Like containerd's CRI plugin, a loopback ({@code lo} up) runs first, and a
 * failed ADD is undone with a DEL before the failure is reported.
 *
 * <p>When a node netns is given, plugins run inside it ({@code nsenter --net}), so the bridge and its routes
 * live in the simulated node rather than on the host.
 */
public final class CniRuntime {
    private static final Duration PLUGIN_TIMEOUT = Duration.ofSeconds(30);
    private static final String IFNAME = "eth0";

    private final Path configList;
    private final List<Path> cniPath;
    private final Path nodeNetns;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, JsonNode> cachedResults = new ConcurrentHashMap<>();

    /** One plugin execution: its type, how long the process took from exec to exit, what it printed. */
    public record PluginCall(String type, Duration took) {}

    /** A successful ADD: the chain's result and each plugin's call. */
    public record AddResult(JsonNode result, List<PluginCall> calls) {
        /** The pod's first IPv4 address from the result, without the prefix length. */
        public String podIp() {
            for (JsonNode ip : result.path("ips")) {
                String address = ip.path("address").asText();
                if (address.contains(".")) {
                    return address.substring(0, address.indexOf('/'));
                }
            }
            throw new IllegalStateException("no IPv4 address in " + result);
        }

        public Duration took(String type) {
            return calls.stream()
                    .filter(call -> call.type().equals(type))
                    .map(PluginCall::took)
                    .findFirst()
                    .orElseThrow();
        }
    }

    public CniRuntime(Path configList, List<Path> cniPath, Path nodeNetns) {
        this.configList = configList;
        this.cniPath = List.copyOf(cniPath);
        this.nodeNetns = nodeNetns;
    }

    public AddResult add(Sandbox sandbox) throws CniCallException {
        loopback(sandbox, "ADD");
        ObjectNode list = readList();
        List<PluginCall> calls = new ArrayList<>();
        JsonNode prevResult = null;
        try {
            for (JsonNode plugin : list.get("plugins")) {
                Execution run = execute("ADD", sandbox, pluginConfig(list, plugin, prevResult));
                calls.add(new PluginCall(run.type(), run.took()));
                prevResult = parseResult(run);
            }
        } catch (CniCallException e) {
            try {
                del(sandbox, list, null);
            } catch (CniCallException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        cachedResults.put(sandbox.containerId(), prevResult);
        return new AddResult(prevResult, calls);
    }

    public void del(Sandbox sandbox) throws CniCallException {
        del(sandbox, readList(), cachedResults.get(sandbox.containerId()));
        cachedResults.remove(sandbox.containerId());
        loopback(sandbox, "DEL");
    }

    public void check(Sandbox sandbox) throws CniCallException {
        ObjectNode list = readList();
        JsonNode cached = cachedResults.get(sandbox.containerId());
        if (cached == null) {
            throw new IllegalStateException("no cached result for " + sandbox.containerId() + "; ADD it first");
        }
        for (JsonNode plugin : list.get("plugins")) {
            execute("CHECK", sandbox, pluginConfig(list, plugin, cached));
        }
    }

    private void del(Sandbox sandbox, ObjectNode list, JsonNode cached) throws CniCallException {
        List<JsonNode> plugins = new ArrayList<>();
        list.get("plugins").forEach(plugins::add);
        CniCallException first = null;
        for (JsonNode plugin : plugins.reversed()) {
            try {
                execute("DEL", sandbox, pluginConfig(list, plugin, cached));
            } catch (CniCallException e) {
                // libcni stops at the first failing DEL; we go on so that tests never leak a bridge port.
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void loopback(Sandbox sandbox, String command) throws CniCallException {
        ObjectNode config = json.createObjectNode();
        config.put("cniVersion", "1.0.0");
        config.put("name", "cni-loopback");
        config.put("type", "loopback");
        execute(command, sandbox, config, "lo");
    }

    private ObjectNode readList() {
        try {
            JsonNode list = json.readTree(Files.readString(configList));
            if (!(list instanceof ObjectNode object) || !list.path("plugins").isArray()) {
                throw new IllegalStateException(configList + " is not a network configuration list");
            }
            return object;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configList, e);
        }
    }

    private ObjectNode pluginConfig(ObjectNode list, JsonNode plugin, JsonNode prevResult) {
        ObjectNode config = plugin.deepCopy();
        config.set("cniVersion", list.get("cniVersion"));
        config.set("name", list.get("name"));
        if (prevResult != null) {
            config.set("prevResult", prevResult);
        }
        return config;
    }

    private JsonNode parseResult(Execution run) throws CniCallException {
        try {
            JsonNode result = json.readTree(run.stdout());
            if (result == null || !result.isObject()) {
                throw new IOException("not a JSON object");
            }
            return result;
        } catch (IOException e) {
            throw new CniCallException("ADD", run.type(), 0, null, run.stdout(), "unreadable result: " + e);
        }
    }

    private record Execution(String type, Duration took, String stdout) {}

    private Execution execute(String command, Sandbox sandbox, ObjectNode config) throws CniCallException {
        return execute(command, sandbox, config, IFNAME);
    }

    private Execution execute(String command, Sandbox sandbox, ObjectNode config, String ifname)
            throws CniCallException {
        String type = config.path("type").asText();
        Path binary = find(type);
        List<String> argv = new ArrayList<>();
        if (nodeNetns != null) {
            argv.addAll(List.of("nsenter", "--net=" + nodeNetns, "--"));
        }
        argv.add(binary.toString());
        ProcessBuilder builder = new ProcessBuilder(argv);
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(key -> key.startsWith("CNI_"));
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", sandbox.containerId());
        env.put("CNI_NETNS", sandbox.netns().toString());
        env.put("CNI_IFNAME", ifname);
        env.put("CNI_ARGS", sandbox.cniArgs());
        env.put("CNI_PATH", cniPath.stream().map(Path::toString).collect(Collectors.joining(":")));
        long start = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot exec " + binary, e);
        }
        try {
            CompletableFuture<String> stdout = drain(process.getInputStream());
            CompletableFuture<String> stderr = drain(process.getErrorStream());
            try (OutputStream in = process.getOutputStream()) {
                in.write(json.writeValueAsBytes(config));
            }
            if (!process.waitFor(PLUGIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(type + " " + command + " did not finish within " + PLUGIN_TIMEOUT);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            String out = stdout.join();
            if (process.exitValue() != 0) {
                throw new CniCallException(command, type, process.exitValue(), errorObject(out), out, stderr.join());
            }
            return new Execution(type, took, out);
        } catch (IOException e) {
            throw new UncheckedIOException("I/O with plugin " + type, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running plugin " + type, e);
        } finally {
            process.destroyForcibly();
        }
    }

    private JsonNode errorObject(String stdout) {
        try {
            JsonNode error = json.readTree(stdout);
            return error != null && error.has("code") ? error : null;
        } catch (IOException e) {
            return null;
        }
    }

    private Path find(String type) {
        for (Path dir : cniPath) {
            Path candidate = dir.resolve(type);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("plugin " + type + " not found in CNI_PATH " + cniPath);
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.complete("");
            }
        });
        return text;
    }
}
