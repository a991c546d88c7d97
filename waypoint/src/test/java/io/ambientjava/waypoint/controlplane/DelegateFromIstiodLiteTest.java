package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.EdgeGateway;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root VirtualService on an ingress gateway that delegates {@code /shop} to a VirtualService without hosts in
 * another namespace, through the real istiod-lite and the waypoint's ADS client, asked with curl: the delegate's
 * routes answer under the root's prefix with the root's response header, a delegate route outside that prefix
 * never answers, and editing the delegate alone changes what the gateway does.
 */
class DelegateFromIstiodLiteTest {

    @TempDir
    Path folder;

    private EdgeGateway gateway;

    @BeforeEach
    void start() throws IOException {
        Files.writeString(folder.resolve("00-root.yaml"), ROOT);
        Files.writeString(folder.resolve("10-delegate.yaml"), DELEGATE);
        gateway = EdgeGateway.start(
                folder,
                80,
                bed -> bed.runtime.config().listenerFor("0.0.0.0", 80).isPresent());
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void theDelegatesRoutesAnswerUnderTheRootsPrefixWithTheRootsHeaders() throws Exception {
        String cart = curl("/shop/cart/42");
        assertThat(cart).endsWith("cart of team shop");
        assertThat(cart.toLowerCase(java.util.Locale.ROOT)).contains("x-served-by: root");

        assertThat(curl("/shop/anything")).endsWith("shop front");
        assertThat(curl("/admin")).endsWith("not the shop"); // the delegate's /admin lies outside /shop
        assertThat(curl("/elsewhere")).endsWith("not the shop");
    }

    @Test
    void changingOnlyTheDelegateChangesTheGateway() throws Exception {
        assertThat(curl("/shop/cart/42")).endsWith("cart of team shop");

        Files.writeString(folder.resolve("10-delegate.yaml"), DELEGATE.replace("cart of team shop", "cart moved"));

        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(curl("/shop/cart/42")).endsWith("cart moved"));
    }

    private String curl(String path) throws Exception {
        return LocalCommands.curlLoopback(gateway.port(), path, "-i");
    }

    private static final String ROOT = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: front, namespace: default}
            spec:
              hosts: ["*"]
              gateways: [edge]
              http:
              - name: shop
                match: [{uri: {prefix: /shop}}]
                headers: {response: {set: {x-served-by: root}}}
                delegate: {name: shop-routes, namespace: shop}
              - name: rest
                directResponse: {status: 200, body: {string: not the shop}}
            """;

    private static final String DELEGATE = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop-routes, namespace: shop}
            spec:
              http:
              - name: cart
                match: [{uri: {prefix: /shop/cart}}]
                directResponse: {status: 200, body: {string: cart of team shop}}
              - name: admin
                match: [{uri: {prefix: /admin}}]
                directResponse: {status: 200, body: {string: admin of team shop}}
              - name: front
                directResponse: {status: 200, body: {string: shop front}}
            """;
}
