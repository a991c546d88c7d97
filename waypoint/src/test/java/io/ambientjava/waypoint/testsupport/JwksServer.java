package io.ambientjava.waypoint.testsupport;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** An issuer's JWKS endpoint on loopback, whose answer a test changes (rotation, outage) as it goes. */
public final class JwksServer implements AutoCloseable {

    public final AtomicInteger fetches = new AtomicInteger();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpServer server;
    private volatile String jwks;
    private volatile int status = 200;
    private volatile Duration delay = Duration.ZERO;

    public JwksServer(String jwks) {
        this(jwks, 0);
    }

    /** @param port 0: any free one */
    public JwksServer(String jwks, int port) {
        this.jwks = jwks;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = (status == 200 ? this.jwks : "unavailable").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(executor);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String uri() {
        return "http://127.0.0.1:" + port() + "/jwks";
    }

    public void serve(String newJwks) {
        jwks = newJwks;
    }

    public void status(int newStatus) {
        status = newStatus;
    }

    public void delay(Duration newDelay) {
        delay = newDelay;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
