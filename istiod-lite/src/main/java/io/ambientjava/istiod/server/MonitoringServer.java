package io.ambientjava.istiod.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ambientjava.istiod.config.ConfigSource;
import io.ambientjava.istiod.xds.XdsSnapshot;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * istiod's monitoring port (15014), read-only: {@code /metrics} (Prometheus), {@code /ready}, and debug views of
 * what istiod-lite took from its input — {@code /debug/problems} (config errors and warnings, translation
 * warnings), {@code /debug/adsz} (connected xDS clients and what they accepted), {@code /debug/resources}
 * (resource names and versions per type).
 */
public final class MonitoringServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final HttpServer http;

    public MonitoringServer(
            InetSocketAddress address, PrometheusMeterRegistry registry, ConfigSource source, IstiodServer istiod) {
        try {
            http = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the monitoring port " + address + ": " + e.getMessage(), e);
        }
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/metrics", exchange -> text(exchange, 200, registry.scrape()));
        http.createContext("/ready", exchange -> {
            boolean ready = istiod.cache().current().version() > 0;
            text(exchange, ready ? 200 : 503, ready ? "ready\n" : "no configuration translated yet\n");
        });
        http.createContext(
                "/debug/problems",
                exchange -> json(exchange, () -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("configGeneration", source.current().generation());
                    body.put(
                            "config",
                            source.problems().stream().map(p -> p.message()).toList());
                    body.put(
                            "translation",
                            istiod.pipeline().warnings().stream()
                                    .map(Object::toString)
                                    .toList());
                    return body;
                }));
        http.createContext(
                "/debug/adsz", exchange -> json(exchange, () -> istiod.ads().clients()));
        http.createContext(
                "/debug/resources",
                exchange -> json(exchange, () -> {
                    XdsSnapshot snapshot = istiod.cache().current();
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("version", snapshot.version());
                    snapshot.resources().forEach((type, resources) -> {
                        Map<String, String> versions = new LinkedHashMap<>();
                        resources.forEach((name, resource) -> versions.put(name, resource.version()));
                        body.put(type, versions);
                    });
                    return body;
                }));
        http.createContext(
                "/debug/proxies",
                exchange -> json(exchange, () -> {
                    var proxies = istiod.cache().proxies();
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("version", proxies.version());
                    proxies.proxies().forEach((id, snapshot) -> {
                        Map<String, Object> types = new LinkedHashMap<>();
                        snapshot.resources().forEach((type, resources) -> {
                            Map<String, String> versions = new LinkedHashMap<>();
                            resources.forEach((name, resource) -> versions.put(name, resource.version()));
                            types.put(type, versions);
                        });
                        body.put(id.toString(), types);
                    });
                    return body;
                }));
        http.start();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    private static void json(HttpExchange exchange, Supplier<Object> body) throws IOException {
        if (!allowed(exchange)) {
            return;
        }
        byte[] bytes = JSON.writeValueAsBytes(body.get());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        send(exchange, 200, bytes);
    }

    private static void text(HttpExchange exchange, int status, String body) throws IOException {
        if (!allowed(exchange)) {
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean allowed(HttpExchange exchange) throws IOException {
        if (List.of("GET", "HEAD").contains(exchange.getRequestMethod())) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, "only GET and HEAD\n".getBytes(StandardCharsets.UTF_8));
        return false;
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
