package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.testsupport.IstiodLite;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.xds.AdsClient;
import io.ambientjava.waypoint.xds.NodeIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VirtualService {@code corsPolicy} on an ingress gateway, through the real istiod-lite and the waypoint's ADS
 * client, asked by curl as a browser would: a preflight is answered by the gateway, an actual request gets its
 * CORS headers, an origin the policy does not name gets none.
 */
class CorsFromIstiodLiteTest {

    private static final String ORIGIN = "https://app.example.com";

    @TempDir
    Path folder;

    private IstiodLite istiodLite;
    private AdsClient client;
    private TestBed bed;
    private DownstreamListener listener;
    private int port;

    @BeforeEach
    void start() throws IOException {
        Files.writeString(folder.resolve("00-mesh.yaml"), MESH);
        istiodLite = IstiodLite.start(folder);
        bed = new TestBed();
        client = istiodLite.subscribe(
                new NodeIdentity(true, "198.18.9.9", "edge-0", "default", "edge", "default/edge"), bed.runtime::apply);
        IstiodLite.awaitAccepted(
                client, () -> bed.runtime.config().listenerFor("0.0.0.0", 80).isPresent());
        listener = bed.listen("0.0.0.0", 80, Optional.empty());
        port = listener.port();
    }

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            listener.close();
        }
        if (istiodLite != null) {
            istiodLite.close();
        }
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void aPreflightIsAnsweredByTheGatewayWithThePolicy() throws Exception {
        String response = curl(
                "-X", "OPTIONS", "-H", "Origin: " + ORIGIN, "-H", "Access-Control-Request-Method: PUT", "/api/cart");
        assertThat(response.lines().findFirst().orElseThrow()).matches("HTTP/1\\.1 200.*");
        assertThat(headers(response))
                .contains(
                        "access-control-allow-origin: " + ORIGIN,
                        "access-control-allow-methods: GET,PUT",
                        "access-control-allow-headers: x-token",
                        "access-control-max-age: 600",
                        "access-control-allow-credentials: true");
        assertThat(response).doesNotContain("shop here"); // not routed
    }

    @Test
    void anActualRequestGetsItsCorsHeadersAndAnUnknownOriginNone() throws Exception {
        String allowed = curl("-H", "Origin: " + ORIGIN, "/api/cart");
        assertThat(allowed).endsWith("shop here");
        assertThat(headers(allowed))
                .contains(
                        "access-control-allow-origin: " + ORIGIN,
                        "access-control-expose-headers: x-trace",
                        "access-control-allow-credentials: true");

        String other = curl("-H", "Origin: https://evil.example.com", "/api/cart");
        assertThat(other).endsWith("shop here");
        assertThat(headers(other)).noneMatch(h -> h.startsWith("access-control-"));
    }

    /** curl -si against the gateway (the last argument is the path); the whole answer, head and body. */
    private String curl(String... args) throws Exception {
        String[] options = new String[args.length];
        options[0] = "-i";
        System.arraycopy(args, 0, options, 1, args.length - 1);
        return LocalCommands.curlLoopback(port, args[args.length - 1], options);
    }

    private static List<String> headers(String response) {
        return response.lines()
                .takeWhile(line -> !line.isBlank())
                .skip(1)
                .map(String::strip)
                .map(line -> line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT)
                        + line.substring(line.indexOf(':')))
                .toList();
    }

    private static final String MESH = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: default}
            spec:
              hosts: ["*"]
              gateways: [edge]
              http:
              - match: [{uri: {prefix: /api}}]
                corsPolicy:
                  allowOrigins: [{exact: "https://app.example.com"}]
                  allowMethods: [GET, PUT]
                  allowHeaders: [x-token]
                  exposeHeaders: [x-trace]
                  maxAge: 10m
                  allowCredentials: true
                directResponse: {status: 200, body: {string: shop here}}
            """;
}
