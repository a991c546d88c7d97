package io.ambientjava.meshctl.admin;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Serves recorded admin pages (test resources) on a loopback port, as a proxy's admin endpoint would. */
final class RecordedAdminServer implements AutoCloseable {

    private final HttpServer server;

    /** @param pages path to test resource, or to literal text when it starts with {@code "text:"} */
    RecordedAdminServer(Map<String, String> pages) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String page = pages.get(exchange.getRequestURI().getPath());
            byte[] body;
            int status = 200;
            if (page == null) {
                status = 404;
                body = "no such page\n".getBytes(StandardCharsets.UTF_8);
            } else if (page.startsWith("text:")) {
                body = page.substring(5).getBytes(StandardCharsets.UTF_8);
            } else {
                body = resource(page);
            }
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    private static byte[] resource(String name) {
        try (InputStream in = RecordedAdminServer.class.getResourceAsStream("/recorded/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
