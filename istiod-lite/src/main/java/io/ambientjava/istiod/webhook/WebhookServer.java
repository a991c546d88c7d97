package io.ambientjava.istiod.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.keys.KeyPairCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validating admission webhook over HTTPS (Istio's port 15017): {@code POST /validate} with an
 * {@code admission.k8s.io/v1} AdmissionReview, answered by {@link AdmissionValidator}. A body that is not such a
 * review gets HTTP 400 with a plain-text reason. Requests are handled on virtual threads. The certificate files
 * are read again when they change.
 */
public final class WebhookServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookServer.class);
    public static final String PATH = "/validate";
    static final int MAX_BODY_BYTES = 3 * 1024 * 1024; // the API server's own request limit
    private static final Duration CERTIFICATE_CHECK = Duration.ofSeconds(10);

    private final HttpsServer server;
    private final ExecutorService executor;
    private final AdmissionValidator validator = new AdmissionValidator();

    private WebhookServer(HttpsServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving on {@code address} with the certificate chain (leaf first) and private key in PEM files, as
     * the ValidatingWebhookConfiguration's caBundle expects them.
     */
    public static WebhookServer start(InetSocketAddress address, Path certificateChain, Path privateKey)
            throws IOException {
        return start(address, certificateChain, privateKey, CERTIFICATE_CHECK);
    }

    /** Like {@link #start(InetSocketAddress, Path, Path)}, looking for new certificate files this often. */
    static WebhookServer start(
            InetSocketAddress address, Path certificateChain, Path privateKey, Duration certificateCheck)
            throws IOException {
        return start(address, new ReloadingKeyManager(certificateChain, privateKey, certificateCheck));
    }

    /**
     * Starts serving on {@code address} with certificates from {@code issuer} (istiod-lite's CA, for the host name
     * the API server calls), issued again when half their lifetime has passed.
     */
    public static WebhookServer start(InetSocketAddress address, Supplier<WorkloadCertificate> issuer)
            throws IOException {
        return start(address, new IssuedKeyManager(issuer, Clock.systemUTC()));
    }

    private static WebhookServer start(InetSocketAddress address, SwappableKeyManager keys) throws IOException {
        Objects.requireNonNull(address, "address");
        SSLContext tls = tlsContext(keys);
        HttpsServer server = HttpsServer.create(address, 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        WebhookServer webhook = new WebhookServer(server, executor);
        server.createContext("/", webhook::handle);
        server.start();
        log.info("validating webhook on https://{}:{}{}", address.getHostString(), webhook.port(), PATH);
        return webhook;
    }

    private static SSLContext tlsContext(SwappableKeyManager keys) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {keys}, null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for the webhook", e);
        }
    }

    /** A mismatched key fails at start, not at every handshake. */
    static void checkPair(X509Certificate leaf, PrivateKey key) {
        boolean belongs;
        try {
            belongs = KeyPairCheck.belongsTo(key, leaf);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unsupported webhook key algorithm " + key.getAlgorithm(), e);
        }
        if (!belongs) {
            throw new IllegalArgumentException("the webhook's private key does not belong to its certificate ("
                    + leaf.getSubjectX500Principal().getName() + ")");
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            if (!exchange.getRequestURI().getPath().equals(PATH)) {
                sendText(exchange, 404, "no such path; the validating webhook is at " + PATH);
                return;
            }
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.getResponseHeaders().add("Allow", "POST");
                sendText(exchange, 405, "use POST with an admission.k8s.io/v1 AdmissionReview");
                return;
            }
            byte[] body = readBody(exchange.getRequestBody());
            if (body == null) {
                sendText(exchange, 413, "the AdmissionReview is larger than " + MAX_BODY_BYTES + " bytes");
                return;
            }
            byte[] answer;
            try {
                answer = validator.review(body);
            } catch (MalformedReviewException e) {
                sendText(exchange, 400, "malformed AdmissionReview: " + e.getMessage());
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
        } catch (IOException | UncheckedIOException e) {
            log.debug("webhook exchange failed: {}", e.toString());
        } catch (RuntimeException e) {
            log.error("webhook request failed", e);
        }
    }

    /** The body, or null when it is larger than {@link #MAX_BODY_BYTES}. */
    private static byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        return body.length > MAX_BODY_BYTES ? null : body;
    }

    private static void sendText(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
