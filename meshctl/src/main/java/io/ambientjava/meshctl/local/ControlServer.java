package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.meshctl.local.ControlApi.MeshStatus;
import io.ambientjava.meshctl.local.ControlApi.PodSpec;
import io.ambientjava.meshctl.local.ControlApi.Problem;
import io.ambientjava.meshctl.local.ControlApi.ServiceInfo;
import io.ambientjava.meshctl.local.ControlApi.WaypointSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * The supervisor's control endpoint on a loopback port: {@code GET /v1/status}, {@code GET|POST /v1/pods},
 * {@code DELETE /v1/pods/<namespace>/<name>}, {@code GET|POST /v1/waypoints},
 * {@code DELETE /v1/waypoints/<namespace>/<name>}, {@code POST /v1/shutdown}. Every
 * request must carry the bearer token from the state folder's 0600 token file, so only root (who can read it) drives
 * the mesh.
 */
final class ControlServer implements AutoCloseable {
    private final HttpServer server;
    private final byte[] token;
    private final LocalMesh mesh;
    private final LocalPods pods;
    private final LocalWaypoints waypoints;
    private final MeshConfigStore store;
    private final long pid;
    private final String startedAt;
    private final CountDownLatch shutdown;
    private final ObjectMapper json = new ObjectMapper();

    private ControlServer(
            String token,
            LocalMesh mesh,
            LocalPods pods,
            LocalWaypoints waypoints,
            MeshConfigStore store,
            String startedAt,
            CountDownLatch shutdown)
            throws IOException {
        this.token = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.mesh = mesh;
        this.pods = pods;
        this.waypoints = waypoints;
        this.store = store;
        this.pid = ProcessHandle.current().pid();
        this.startedAt = startedAt;
        this.shutdown = shutdown;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/", this::handle);
    }

    static ControlServer start(
            String token,
            LocalMesh mesh,
            LocalPods pods,
            LocalWaypoints waypoints,
            MeshConfigStore store,
            String startedAt,
            CountDownLatch shutdown)
            throws IOException {
        ControlServer control = new ControlServer(token, mesh, pods, waypoints, store, startedAt, shutdown);
        control.server.start();
        return control;
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        boolean shutdownRequested = false;
        try (exchange) {
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization == null
                    || !MessageDigest.isEqual(token, authorization.getBytes(StandardCharsets.UTF_8))) {
                reply(exchange, 401, new Problem("missing or wrong control token"));
                return;
            }
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            try {
                switch (method + " " + path) {
                    case "GET /v1/status" -> reply(exchange, 200, status());
                    case "GET /v1/pods" -> reply(exchange, 200, pods.list());
                    case "POST /v1/pods" ->
                        reply(exchange, 201, pods.run(json.readValue(exchange.getRequestBody(), PodSpec.class)));
                    case "GET /v1/waypoints" -> reply(exchange, 200, waypoints.list());
                    case "POST /v1/waypoints" ->
                        reply(
                                exchange,
                                201,
                                waypoints.apply(json.readValue(exchange.getRequestBody(), WaypointSpec.class)));
                    case "POST /v1/shutdown" -> {
                        reply(exchange, 202, new Problem(""));
                        shutdownRequested = true;
                    }
                    default -> {
                        if (method.equals("DELETE") && path.startsWith("/v1/pods/")) {
                            String[] parts = namespaceAndName(path, "/v1/pods/");
                            pods.delete(parts[0], parts[1]);
                            reply(exchange, 200, new Problem(""));
                        } else if (method.equals("DELETE") && path.startsWith("/v1/waypoints/")) {
                            String[] parts = namespaceAndName(path, "/v1/waypoints/");
                            waypoints.delete(parts[0], parts[1]);
                            reply(exchange, 200, new Problem(""));
                        } else {
                            reply(exchange, 404, new Problem("no such request: " + method + " " + path));
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                reply(exchange, 400, new Problem(e.getMessage()));
            } catch (NoSuchElementException e) {
                reply(exchange, 404, new Problem(e.getMessage()));
            } catch (IllegalStateException e) {
                reply(exchange, 409, new Problem(e.getMessage()));
            } catch (Exception e) {
                reply(exchange, 500, new Problem(e.toString()));
            }
        } finally {
            // Only once the answer is out: the supervisor stops this server as soon as the latch opens.
            if (shutdownRequested) {
                shutdown.countDown();
            }
        }
    }

    /** {@code <prefix><namespace>/<name>} split in two; anything else is a bad request. */
    private static String[] namespaceAndName(String path, String prefix) {
        String[] parts = path.substring(prefix.length()).split("/");
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("expected " + prefix + "<namespace>/<name>");
        }
        return parts;
    }

    private MeshStatus status() {
        List<ControlApi.NodeInfo> nodes = mesh.nodeNames().stream()
                .map(n -> new ControlApi.NodeInfo(n, mesh.podSubnet(n)))
                .toList();
        List<ServiceInfo> services = new ArrayList<>();
        for (var service : store.list(ResourceKind.SERVICE)) {
            List<String> ports = new ArrayList<>();
            service.path("spec")
                    .path("ports")
                    .forEach(p -> ports.add(p.path("port").asText()
                            + (p.has("targetPort") ? ":" + p.path("targetPort").asText() : "")
                            + "/" + p.path("protocol").asText("TCP")));
            services.add(new ServiceInfo(
                    service.path("metadata").path("namespace").asText(),
                    service.path("metadata").path("name").asText(),
                    service.path("spec").path("clusterIP").asText(""),
                    String.join(",", ports)));
        }
        return new MeshStatus(
                mesh.name(),
                pid,
                store.dir().toString(),
                startedAt,
                nodes,
                mesh.health(),
                pods.list(),
                waypoints.list(),
                services);
    }

    private void reply(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
