package io.ambientjava.istiod.testsupport;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link MockApiServer} for a test class ({@code @RegisterExtension static final SharedMockApiServer API}): started
 * before its first test, emptied after each test (after the test's own {@code @AfterEach}, so controllers are closed
 * first), closed after the last; Awaitility polls every 20 ms meanwhile.
 */
public final class SharedMockApiServer implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    private MockApiServer server;

    public MockApiServer server() {
        if (server == null) {
            throw new IllegalStateException("the mock API server starts before the class's first test");
        }
        return server;
    }

    /** A client that does not retry: a failure the mock is told to answer reaches the code under test. */
    public KubernetesClient newClientWithoutRetries() {
        return new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(server().config())
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = new MockApiServer();
        Awaitility.setDefaultPollInterval(Duration.ofMillis(20));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        server.reset();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Awaitility.reset();
        server.close();
        server = null;
    }
}
