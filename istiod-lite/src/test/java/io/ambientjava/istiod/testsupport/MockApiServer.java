package io.ambientjava.istiod.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.kubernetes.WatchedKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.Resetable;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * fabric8's Kubernetes mock server in CRUD mode on loopback, restartable on the same port with its stored objects
 * kept (as a real API server keeps them in etcd), plus helpers to apply YAML through it.
 */
public final class MockApiServer implements AutoCloseable {

    // The mock logs every request at INFO through java.util.logging; held here so the level sticks.
    private static final java.util.logging.Logger MOCK_LOG =
            java.util.logging.Logger.getLogger(MockWebServer.class.getName());

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
    private final GoneOnceDispatcher dispatcher = new GoneOnceDispatcher(new KubernetesMixedDispatcher(expectations));
    private KubernetesMockServer server;
    private final int port;
    private final KubernetesClient admin;

    public MockApiServer() {
        server = newServer();
        server.init(InetAddress.getLoopbackAddress(), 0);
        port = server.getPort();
        admin = new KubernetesClientBuilder().withConfig(config()).build();
    }

    private KubernetesMockServer newServer() {
        return new KubernetesMockServer(new Context(), new MockWebServer(), expectations, dispatcher, false);
    }

    public KubernetesMockServer server() {
        return server;
    }

    /** A client configuration that reconnects quickly, as tests want. */
    public Config config() {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl("http://127.0.0.1:" + port + "/")
                .withNamespace("default")
                .withHttp2Disable(true)
                .withWatchReconnectInterval(100)
                .withRequestRetryBackoffInterval(50)
                .withRequestRetryBackoffLimit(1)
                .withConnectionTimeout(1000)
                .withRequestTimeout(5000)
                .build();
    }

    /** A client of this server, for the caller to close. */
    public KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(config()).build();
    }

    public int port() {
        return port;
    }

    /** A kubeconfig whose current context is this server, as {@code --kubeconfig} takes it. */
    public String kubeconfig() {
        return """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "http://127.0.0.1:%d"}}]
                users: [{name: tester, user: {token: not-checked}}]
                contexts: [{name: mock, context: {cluster: mock, user: tester, namespace: default}}]
                current-context: mock
                """.formatted(port);
    }

    /** Forgets every stored object and expectation. */
    public void reset() {
        server.reset();
    }

    public void stop() {
        server.shutdown();
    }

    /**
     * Changes the stored objects while the server is stopped (as other API server replicas would): through a
     * second server on another port that shares the store.
     */
    public void applyWhileStopped(String yaml) {
        whileStopped(client -> apply(client, yaml));
    }

    /** Deletes a stored object while the server is stopped; see {@link #applyWhileStopped}. */
    public void deleteWhileStopped(ResourceKind kind, String namespace, String name) {
        whileStopped(client -> operation(client, WatchedKind.newest(kind), namespace)
                .withName(name)
                .delete());
    }

    private void whileStopped(Consumer<KubernetesClient> change) {
        KubernetesMockServer side = newServer();
        side.init(InetAddress.getLoopbackAddress(), 0);
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(config())
                        .withMasterUrl("http://127.0.0.1:" + side.getPort() + "/")
                        .build())
                .build()) {
            change.accept(client);
        } finally {
            side.shutdown();
        }
    }

    /**
     * The next watch request under {@code listPath} is answered 410 Gone, as a real API server answers a watch from
     * a resourceVersion it no longer keeps; the client must list again.
     */
    public void answerNextWatchWithGone(String listPath) {
        dispatcher.goneFor.set(listPath);
    }

    /** Starts a fresh server process on the same port with the same stored objects. */
    public void startAgain() {
        server = newServer();
        server.init(InetAddress.getLoopbackAddress(), port);
    }

    /** Creates or replaces every document of {@code yaml}, each at the version istiod-lite watches. */
    public List<GenericKubernetesResource> apply(String yaml) {
        return apply(admin, yaml);
    }

    private static List<GenericKubernetesResource> apply(KubernetesClient client, String yaml) {
        List<GenericKubernetesResource> applied = new ArrayList<>();
        try (MappingIterator<JsonNode> documents =
                YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (documents.hasNextValue()) {
                JsonNode document = documents.nextValue();
                if (document == null || document.isNull() || document.isEmpty()) {
                    continue;
                }
                GenericKubernetesResource object = JSON.treeToValue(document, GenericKubernetesResource.class);
                applied.add(apply(client, object));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return applied;
    }

    public GenericKubernetesResource apply(GenericKubernetesResource object) {
        return apply(admin, object);
    }

    private static GenericKubernetesResource apply(KubernetesClient client, GenericKubernetesResource object) {
        String apiVersion = object.getApiVersion();
        int slash = apiVersion.indexOf('/');
        ResourceKind kind = ResourceKind.find(slash < 0 ? "" : apiVersion.substring(0, slash), object.getKind())
                .orElseThrow(() -> new IllegalArgumentException("not a kind istiod-lite reads: " + object.getKind()));
        WatchedKind watched = WatchedKind.newest(kind);
        object.setApiVersion(watched.apiVersion());
        if (kind.namespaced() && object.getMetadata().getNamespace() == null) {
            object.getMetadata().setNamespace("default");
        }
        Resource<GenericKubernetesResource> resource = operation(
                        client, watched, object.getMetadata().getNamespace())
                .withName(object.getMetadata().getName());
        // A controller under test may write the object (its status) between our read and our write: read again.
        for (int attempt = 1; ; attempt++) {
            GenericKubernetesResource existing = resource.get();
            if (existing == null) {
                return operation(client, watched, object.getMetadata().getNamespace())
                        .resource(object)
                        .create();
            }
            object.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            try {
                return operation(client, watched, object.getMetadata().getNamespace())
                        .resource(object)
                        .update();
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    public void delete(ResourceKind kind, String namespace, String name) {
        operation(admin, WatchedKind.newest(kind), namespace).withName(name).delete();
    }

    private static NonNamespaceOperation<
                    GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
            operation(KubernetesClient client, WatchedKind watched, String namespace) {
        var all = client.genericKubernetesResources(watched.context());
        return watched.kind().namespaced() ? all.inNamespace(namespace) : all;
    }

    @Override
    public void close() {
        admin.close();
        server.shutdown();
    }

    /** The CRUD dispatcher, except for one watch request answered 410 Gone when asked to. */
    private static final class GoneOnceDispatcher extends Dispatcher implements Resetable {
        private final KubernetesMixedDispatcher crud;
        private final AtomicReference<String> goneFor = new AtomicReference<>();

        GoneOnceDispatcher(KubernetesMixedDispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String prefix = goneFor.get();
            String path = request.getPath();
            if (prefix != null
                    && path.startsWith(prefix + "?")
                    && path.contains("watch=true")
                    && goneFor.compareAndSet(prefix, null)) {
                // as a real server does it: the watch opens, then an ERROR event carries the 410 status
                return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                    @Override
                    public void onOpen(WebSocket socket, Response response) {
                        socket.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                                + "\"metadata\":{},\"status\":\"Failure\",\"reason\":\"Expired\",\"code\":410,"
                                + "\"message\":\"too old resource version\"}}");
                    }
                });
            }
            return crud.dispatch(request);
        }

        @Override
        public void reset() {
            goneFor.set(null);
            crud.reset();
        }
    }
}
