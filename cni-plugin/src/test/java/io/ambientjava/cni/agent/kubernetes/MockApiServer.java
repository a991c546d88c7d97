package io.ambientjava.cni.agent.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.Resetable;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * fabric8's mock API server in CRUD mode on loopback. Its CRUD store can only select by metadata fields, so a
 * {@code spec.nodeName} field selector (which a real server applies) is taken off the request and recorded: the
 * agent's own node check then does the selecting, and tests can assert the selector the agent asked for.
 */
final class MockApiServer implements AutoCloseable {
    static {
        java.util.logging.Logger.getLogger(MockWebServer.class.getName()).setLevel(java.util.logging.Level.WARNING);
    }

    private final List<String> fieldSelectors = new CopyOnWriteArrayList<>();
    private final KubernetesMockServer server;
    private final KubernetesClient admin;

    MockApiServer() {
        this(0);
    }

    /** On {@code port} (0: any free one). */
    MockApiServer(int port) {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new NodeSelectorDropping(crud), false);
        server.init(InetAddress.getLoopbackAddress(), port);
        admin = newClient();
    }

    Config config() {
        return config(server.getPort());
    }

    /** The client configuration for a server on {@code port}, up or not. */
    static Config config(int port) {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl("http://127.0.0.1:" + port + "/")
                .withHttp2Disable(true)
                .withWatchReconnectInterval(100)
                .withRequestRetryBackoffInterval(50)
                .withRequestRetryBackoffLimit(1)
                .withConnectionTimeout(1000)
                .withRequestTimeout(5000)
                .build();
    }

    /** A client for the caller to close. */
    KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(config()).build();
    }

    /** A client closed with the server, for the test's own changes. */
    KubernetesClient admin() {
        return admin;
    }

    int port() {
        return server.getPort();
    }

    /** The {@code spec.nodeName} selectors clients asked for (taken off before the CRUD store saw them). */
    List<String> nodeSelectors() {
        return List.copyOf(fieldSelectors);
    }

    @Override
    public void close() {
        admin.close();
        server.shutdown();
    }

    private final class NodeSelectorDropping extends Dispatcher implements Resetable {
        private final KubernetesCrudDispatcher crud;

        NodeSelectorDropping(KubernetesCrudDispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            int query = path.indexOf('?');
            if (query < 0 || !path.contains("fieldSelector=spec.nodeName")) {
                return crud.dispatch(request);
            }
            StringBuilder kept = new StringBuilder(path.substring(0, query));
            char separator = '?';
            for (String parameter : path.substring(query + 1).split("&")) {
                if (parameter.startsWith("fieldSelector=spec.nodeName")) {
                    fieldSelectors.add(java.net.URLDecoder.decode(
                            parameter.substring("fieldSelector=".length()), java.nio.charset.StandardCharsets.UTF_8));
                    continue;
                }
                kept.append(separator).append(parameter);
                separator = '&';
            }
            return crud.dispatch(new RecordedRequest(
                    request.getHttpVersion(),
                    request.method(),
                    kept.toString(),
                    request.getHeaders(),
                    request.getBody()));
        }

        @Override
        public void reset() {
            crud.reset();
        }
    }
}
