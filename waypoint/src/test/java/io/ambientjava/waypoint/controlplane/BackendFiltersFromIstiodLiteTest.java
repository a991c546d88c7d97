package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.waypoint.testsupport.EdgeGateway;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateway API backendRef filters from the user's YAML: an HTTPRoute splitting between two Services, one with its own
 * RequestHeaderModifier and ResponseHeaderModifier, through the real istiod-lite to a gateway that curl calls. The
 * header reaches that backend's requests only, and its answers only carry the response header.
 */
class BackendFiltersFromIstiodLiteTest {

    @TempDir
    Path folder;

    private final EventLoopGroup group = NettyTransport.newEventLoopGroup(1, "test-backends");
    private TestUpstream blue;
    private TestUpstream green;
    private EdgeGateway gateway;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        for (TestUpstream upstream : new TestUpstream[] {blue, green}) {
            if (upstream != null) {
                upstream.close();
            }
        }
        group.shutdownGracefully().syncUninterruptibly();
    }

    @Test
    void aBackendsOwnHeaderFiltersApplyToItsRequestsAndAnswersOnly() throws Exception {
        blue = new TestUpstream(group, "blue");
        green = new TestUpstream(group, "green");
        Files.writeString(folder.resolve("00-mesh.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: blue, namespace: default}
                spec: {clusterIP: 198.19.0.81, selector: {app: blue}, ports: [{name: http, port: 80, targetPort: %d}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: blue-0, namespace: default, labels: {app: blue}}
                spec: {nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 127.0.0.1}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: green, namespace: default}
                spec: {clusterIP: 198.19.0.82, selector: {app: green}, ports: [{name: http, port: 80, targetPort: %d}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: green-0, namespace: default, labels: {app: green}}
                spec: {nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 127.0.0.1}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: default}
                spec:
                  gatewayClassName: istio
                  listeners: [{name: http, port: 80, protocol: HTTP}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: colours, namespace: default}
                spec:
                  parentRefs: [{name: edge}]
                  rules:
                  - backendRefs:
                    - name: blue
                      port: 80
                      weight: 50
                      filters:
                      - type: RequestHeaderModifier
                        requestHeaderModifier: {set: [{name: x-colour, value: blue}]}
                      - type: ResponseHeaderModifier
                        responseHeaderModifier: {set: [{name: x-served-by, value: blue-pool}]}
                    - {name: green, port: 80, weight: 50}
                """.formatted(
                        blue.address().getPort(), green.address().getPort()));
        gateway = EdgeGateway.start(
                folder,
                80,
                bed -> bed.runtime
                                .clusters()
                                .get("outbound|80||blue.default.svc.cluster.local")
                                .isPresent()
                        && bed.runtime
                                .clusters()
                                .get("outbound|80||green.default.svc.cluster.local")
                                .isPresent());

        int blueAnswers = 0;
        for (int i = 0; i < 40 && (blueAnswers == 0 || green.count.get() == 0); i++) {
            String answer = LocalCommands.curlLoopback(gateway.port(), "/paint", "-i");
            boolean fromBlue = answer.contains("blue GET /paint");
            blueAnswers += fromBlue ? 1 : 0;
            assertThat(answer.toLowerCase(java.util.Locale.ROOT).contains("x-served-by: blue-pool"))
                    .as(answer)
                    .isEqualTo(fromBlue);
        }

        assertThat(blueAnswers).isPositive();
        assertThat(green.count.get()).isPositive();
        assertThat(blue.seen).allSatisfy(s -> assertThat(s.headers()).containsEntry("x-colour", "blue"));
        assertThat(green.seen).allSatisfy(s -> assertThat(s.headers()).doesNotContainKey("x-colour"));
        assertThat(gateway.istiodLite.server().pipeline().warnings()).isEmpty();
    }
}
