package io.ambientjava.meshctl.local;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The demo's application, one process per pod (started inside the pod's netns): answers every HTTP request with
 * its service name, version and the peer address it saw, one line. Uses nothing but the JDK so that it starts from
 * meshctl's classes alone.
 */
public final class DemoApp {
    private DemoApp() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> options = parse(args);
        String name = options.getOrDefault("--name", "app");
        String version = options.getOrDefault("--version", "v1");
        int port = Integer.parseInt(options.getOrDefault("--port", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 64);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = (reply(name, version, exchange.getRemoteAddress()) + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        System.out.println("demo app ready: " + name + " " + version + " on :"
                + server.getAddress().getPort());
    }

    /** The one-line answer, e.g. {@code product-api v2 (saw peer 198.18.1.5)}. */
    static String reply(String name, String version, InetSocketAddress peer) {
        return name + " " + version + " (saw peer " + peer.getAddress().getHostAddress() + ")";
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
