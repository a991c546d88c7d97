package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.TestBed;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server that closes a kept-alive connection at the moment the waypoint reuses it (here: instead of answering
 * the second request on it, as when its idle timeout and our reuse cross). An idempotent request goes out once
 * more on a new connection; any other request gets 503, and a request on a new connection is not resent.
 */
class StaleConnectionTest {

    private final TestBed bed = new TestBed();
    private ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile boolean closeFirstRequestsToo;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
        bed.configure(List.of(Envoy.prefixRoute("/", TestBed.DEFAULT_CLUSTER).build()));
        bed.push(Envoy.edsCluster(TestBed.DEFAULT_CLUSTER).build());
        bed.push(Envoy.plainEndpoints(
                TestBed.DEFAULT_CLUSTER, List.of((InetSocketAddress) server.getLocalSocketAddress())));
    }

    @AfterEach
    void stop() throws IOException {
        bed.close();
        server.close();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                int number = connections.incrementAndGet();
                Thread.ofVirtual().start(() -> serve(s, number));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Answers the first request on a connection, keeping it alive; closes it on the second without answering. */
    private void serve(Socket s, int number) {
        try (s) {
            s.setSoTimeout(5000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            for (int onThisConnection = 1; ; onThisConnection++) {
                String requestLine = in.readLine();
                if (requestLine == null) {
                    return;
                }
                int length = 0;
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                in.skip(length);
                seen.add(number + " " + requestLine);
                if (onThisConnection > 1 || closeFirstRequestsToo) {
                    return; // closes without a word
                }
                byte[] body = ("connection " + number).getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\ncontent-length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
        } catch (IOException ignored) {
            // the test's assertions say what went wrong
        }
    }

    @Test
    void anIdempotentRequestOnAConnectionTheServerClosedGoesOutAgainOnANewOne() {
        assertThat(bed.get("/first").body()).isEqualTo("connection 1");
        var second = bed.get("/second");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).isEqualTo("connection 2");
        assertThat(seen).containsExactly("1 GET /first HTTP/1.1", "1 GET /second HTTP/1.1", "2 GET /second HTTP/1.1");
    }

    @Test
    void aPostIsNotSentTwice() {
        assertThat(bed.get("/first").statusCode()).isEqualTo(200);
        var response = bed.send(HttpRequest.newBuilder(URI.create(bed.url("/order")))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString("order"))
                .build());
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("upstream connect error or disconnect/reset before headers");
        assertThat(seen).containsExactly("1 GET /first HTTP/1.1", "1 POST /order HTTP/1.1");
    }

    @Test
    void aRequestOnANewConnectionIsNotSentAgain() {
        closeFirstRequestsToo = true;
        assertThat(bed.get("/once").statusCode()).isEqualTo(503);
        assertThat(seen).containsExactly("1 GET /once HTTP/1.1");
    }

    @Test
    void aRequestIsSentAgainOnlyOnce() {
        assertThat(bed.get("/first").statusCode()).isEqualTo(200);
        closeFirstRequestsToo = true; // the new connection fails as well
        assertThat(bed.get("/second").statusCode()).isEqualTo(503);
        assertThat(seen).containsExactly("1 GET /first HTTP/1.1", "1 GET /second HTTP/1.1", "2 GET /second HTTP/1.1");
    }
}
