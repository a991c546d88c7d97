package io.ambientjava.waypoint.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A small HTTP server for the operations ports (metrics 15020, readiness 15021, admin 15000): GET only, plain
 * text answers produced by suppliers. Runs on its own virtual threads, away from the proxy's event loops.
 */
public final class OpsServer implements AutoCloseable {

    /** A page: content type and body, or null for 503 (e.g. not ready). */
    public record Page(String contentType, String body) {}

    private final HttpServer server;

    public OpsServer(InetSocketAddress address, Map<String, Supplier<Page>> pages) throws IOException {
        server = HttpServer.create(address, 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> handle(exchange, pages));
        server.start();
    }

    private static void handle(HttpExchange exchange, Map<String, Supplier<Page>> pages) throws IOException {
        try (exchange) {
            Supplier<Page> page = pages.get(exchange.getRequestURI().getPath());
            if (!exchange.getRequestMethod().equals("GET") || page == null) {
                send(exchange, 404, "text/plain", "not found\n");
                return;
            }
            Page p = page.get();
            if (p == null) {
                send(exchange, 503, "text/plain", "not ready\n");
            } else {
                send(exchange, 200, p.contentType(), p.body());
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
