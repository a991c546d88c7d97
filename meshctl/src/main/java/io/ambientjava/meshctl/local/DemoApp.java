package io.ambientjava.meshctl.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's application, one process per pod (started inside the pod's netns): answers every HTTP request with
 * its service name, version and the peer address it saw, one line. Uses nothing but the JDK so that it starts from
 * meshctl's classes alone.
 *
 * <p>For the L7 walk-through and tests it also misbehaves on request: query {@code status=503} answers that status,
 * {@code delay=2500} waits that many milliseconds first, {@code delayOnce=<key>} applies the delay only to the first
 * request carrying that key (so a retry is answered at once). {@code /_demo/fail?status=503} makes every later
 * request fail with that status until {@code /_demo/fail?status=0}; {@code /_demo/count} tells how many requests
 * and connections it served ({@code requests=N connections=M}); {@code /_demo/reset} zeroes the counts.
 */
public final class DemoApp {
    static final String CONTROL = "/_demo/";

    private final String name;
    private final String version;
    private final AtomicLong requests = new AtomicLong();
    private final Set<String> connections = ConcurrentHashMap.newKeySet();
    private final Set<String> delayedKeys = ConcurrentHashMap.newKeySet();
    private final AtomicInteger failStatus = new AtomicInteger();

    DemoApp(String name, String version) {
        this.name = name;
        this.version = version;
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = parse(args);
        DemoApp app = new DemoApp(options.getOrDefault("--name", "app"), options.getOrDefault("--version", "v1"));
        int port = Integer.parseInt(options.getOrDefault("--port", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", app::handle);
        server.start();
        System.out.println("demo app ready: " + app.name + " " + app.version + " on :"
                + server.getAddress().getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            if (path.startsWith(CONTROL)) {
                send(exchange, 200, control(path.substring(CONTROL.length()), query));
                return;
            }
            requests.incrementAndGet();
            InetSocketAddress peer = exchange.getRemoteAddress();
            connections.add(peer.getAddress().getHostAddress() + ":" + peer.getPort());
            long delay = parseLong(query.get("delay"), "delay");
            String delayOnce = query.get("delayOnce");
            if (delay > 0 && (delayOnce == null || delayedKeys.add(delayOnce))) {
                Thread.sleep(delay);
            }
            int status = (int) parseLong(query.get("status"), "status");
            if (status == 0) {
                status = failStatus.get();
            }
            exchange.getResponseHeaders().set("x-demo-version", version);
            send(exchange, status == 0 ? 200 : status, reply(name, version, peer));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalArgumentException e) {
            send(exchange, 400, e.getMessage());
        } finally {
            exchange.close();
        }
    }

    private String control(String command, Map<String, String> query) {
        return switch (command) {
            case "count" -> "requests=" + requests.get() + " connections=" + connections.size();
            case "reset" -> {
                requests.set(0);
                connections.clear();
                delayedKeys.clear();
                yield "reset";
            }
            case "fail" -> {
                failStatus.set((int) parseLong(query.get("status"), "status"));
                yield "fail status " + failStatus.get();
            }
            default -> throw new IllegalArgumentException("unknown control " + command + " (count, reset, fail)");
        };
    }

    private static void send(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    /** The one-line answer, e.g. {@code product-api v2 (saw peer 198.18.1.5)}. */
    static String reply(String name, String version, InetSocketAddress peer) {
        return name + " " + version + " (saw peer " + peer.getAddress().getHostAddress() + ")";
    }

    static Map<String, String> query(String raw) {
        Map<String, String> values = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return values;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            values.put(
                    URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return values;
    }

    static long parseLong(String value, String what) {
        if (value == null || value.isEmpty()) {
            return 0;
        }
        try {
            long parsed = Long.parseLong(value);
            if (parsed < 0) {
                throw new IllegalArgumentException(what + " must not be negative: " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a number: " + value);
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name/--version/--port, got " + args[i]);
            }
            options.put(args[i], args[i + 1]);
        }
        return options;
    }
}
