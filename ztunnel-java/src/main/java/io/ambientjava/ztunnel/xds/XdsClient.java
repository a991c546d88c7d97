package io.ambientjava.ztunnel.xds;

import io.ambientjava.ztunnel.controlplane.BearerTokenCredentials;
import io.ambientjava.ztunnel.controlplane.ControlPlaneChannels;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a {@link WorkloadStore} from workload xDS: one Delta ADS stream ({@code
 * envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources}) with wildcard subscriptions to
 * {@link XdsTypeUrls#ADDRESS} then {@link XdsTypeUrls#AUTHORIZATION}, as upstream ztunnel subscribes.
 *
 * <ul>
 *   <li>Each response is applied as one {@link io.ambientjava.ztunnel.state.StateUpdate} and answered with its
 *       nonce: an ACK, or a NACK whose {@code error_detail} names each rejected resource and field (see {@link
 *       DeltaResponseMapper} for why the good resources of a partly bad response are still applied).
 *   <li>When the stream fails it reconnects with exponential backoff ({@link XdsClientSettings}), reset once a new
 *       stream delivers a response. Each new stream reports in {@code initial_resource_versions} the resources and
 *       versions applied, so the server sends only what changed meanwhile, including removals.
 *   <li>While disconnected the store keeps the last applied state: the data path goes on serving it.
 * </ul>
 *
 * Responses are handled on gRPC's executor, one at a time per stream; nothing here runs on the proxy's event loops.
 */
public final class XdsClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(XdsClient.class);
    private static final List<String> TYPES = List.of(XdsTypeUrls.ADDRESS, XdsTypeUrls.AUTHORIZATION);

    private final XdsClientSettings settings;
    private final WorkloadStore store;
    private final ManagedChannel channel;
    private final ScheduledExecutorService reconnects;
    private final CompletableFuture<Void> initialSync = new CompletableFuture<>();

    // Guarded by this.
    private final Map<String, Map<String, String>> applied = new LinkedHashMap<>();
    private final Map<String, Boolean> synced = new HashMap<>();
    private Stream current;
    private boolean closed;
    private int connections;
    private Duration backoff;
    private boolean connected;
    private String lastError;
    private Instant lastErrorAt;
    private long acks;
    private long nacks;

    private XdsClient(XdsClientSettings settings, WorkloadStore store) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.store = Objects.requireNonNull(store, "store");
        this.backoff = settings.initialBackoff();
        TYPES.forEach(type -> applied.put(type, new HashMap<>()));
        this.channel = ControlPlaneChannels.open(settings.host(), settings.port(), settings.tls());
        this.reconnects = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("xds-reconnect").daemon().factory());
    }

    /** Creates the client and opens its first stream; returns at once (connection failures are retried). */
    public static XdsClient start(XdsClientSettings settings, WorkloadStore store) {
        XdsClient client = new XdsClient(settings, store);
        client.connect();
        return client;
    }

    /** Completes once a response of each subscribed type has been applied (ACKed or not) — the first full sync. */
    public CompletableFuture<Void> initialSync() {
        return initialSync.copy();
    }

    public synchronized XdsStatus status() {
        return new XdsStatus(
                settings.address(),
                connected,
                connections,
                Optional.ofNullable(lastError),
                Optional.ofNullable(lastErrorAt),
                applied,
                acks,
                nacks);
    }

    private synchronized void connect() {
        if (closed) {
            return;
        }
        connections++;
        Stream stream = new Stream(connections);
        current = stream;
        var stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
        if (settings.tokenFile().isPresent()) {
            stub = stub.withCallCredentials(
                    new BearerTokenCredentials(settings.tokenFile().get()));
        }
        stub.deltaAggregatedResources(stream);
        for (String type : TYPES) {
            Map<String, String> versions = applied.get(type);
            log.debug("xds stream {}: subscribing to {} with {} known resources", stream.id, type, versions.size());
            stream.send(DeltaDiscoveryRequest.newBuilder()
                    .setTypeUrl(type)
                    .setNode(settings.node().toProto())
                    .putAllInitialResourceVersions(versions)
                    .build());
        }
    }

    private synchronized void handle(Stream stream, DeltaDiscoveryResponse response) {
        if (stream != current || closed) {
            return;
        }
        if (!connected) {
            connected = true;
            backoff = settings.initialBackoff();
            log.info("xds connected to {} (stream {})", settings.address(), stream.id);
        }
        HandledResponse handled = DeltaResponseMapper.map(response);
        if (!handled.update().isEmpty()) {
            store.apply(handled.update());
        }
        Map<String, String> versions = applied.get(handled.typeUrl());
        if (versions != null) {
            handled.removed().forEach(versions::remove);
            versions.putAll(handled.accepted());
        }
        DeltaDiscoveryRequest.Builder answer = DeltaDiscoveryRequest.newBuilder()
                .setTypeUrl(response.getTypeUrl())
                .setResponseNonce(response.getNonce());
        Optional<String> error = handled.errorDetail();
        if (error.isPresent()) {
            nacks++;
            lastError = "NACK " + response.getTypeUrl() + " nonce " + response.getNonce() + ": " + error.get();
            lastErrorAt = Instant.now();
            log.warn("xds {}", lastError);
            answer.setErrorDetail(com.google.rpc.Status.newBuilder()
                    .setCode(Status.Code.INVALID_ARGUMENT.value())
                    .setMessage(error.get()));
        } else {
            acks++;
            log.debug(
                    "xds ACK {} nonce {} ({} upserted, {} removed)",
                    response.getTypeUrl(),
                    response.getNonce(),
                    handled.accepted().size(),
                    handled.removed().size());
        }
        stream.send(answer.build());
        if (versions != null) {
            synced.put(handled.typeUrl(), true);
            if (synced.keySet().containsAll(TYPES)) {
                initialSync.complete(null);
            }
        }
    }

    private synchronized void streamEnded(Stream stream, Throwable failure) {
        if (stream != current || closed) {
            return;
        }
        connected = false;
        current = null;
        Status status = failure == null
                ? Status.OK.withDescription("stream closed by the server")
                : Status.fromThrowable(failure);
        lastError = "stream to " + settings.address() + " ended: " + status.getCode()
                + Optional.ofNullable(status.getDescription()).map(d -> " " + d).orElse("")
                + Optional.ofNullable(rootCause(status.getCause()))
                        .map(c -> " (" + c + ")")
                        .orElse("");
        lastErrorAt = Instant.now();
        Duration wait = backoff;
        backoff = backoff.multipliedBy(2).compareTo(settings.maxBackoff()) > 0
                ? settings.maxBackoff()
                : backoff.multipliedBy(2);
        log.warn("xds {}; keeping the last state, reconnecting in {} ms", lastError, wait.toMillis());
        reconnects.schedule(this::connect, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The innermost cause's message: a TLS failure arrives wrapped in an "io exception". */
    private static String rootCause(Throwable t) {
        if (t == null) {
            return null;
        }
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    @Override
    public void close() {
        Stream stream;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stream = current;
            current = null;
        }
        reconnects.shutdownNow();
        if (stream != null) {
            stream.cancel();
        }
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        initialSync.completeExceptionally(new IllegalStateException("xds client closed"));
    }

    /** Names the applied resources of a type (for tests and debugging). */
    synchronized Set<String> appliedNames(String typeUrl) {
        return Set.copyOf(applied.getOrDefault(typeUrl, Map.of()).keySet());
    }

    /** One Delta ADS stream; callbacks of streams that are no longer current are ignored. */
    private final class Stream implements ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
        final int id;
        private ClientCallStreamObserver<DeltaDiscoveryRequest> requests;

        Stream(int id) {
            this.id = id;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> requestStream) {
            this.requests = requestStream;
        }

        void send(DeltaDiscoveryRequest request) {
            synchronized (this) {
                try {
                    requests.onNext(request);
                } catch (RuntimeException e) {
                    log.debug("xds stream {}: send failed: {}", id, e.toString());
                }
            }
        }

        void cancel() {
            synchronized (this) {
                requests.cancel("xds client closed", null);
            }
        }

        @Override
        public void onNext(DeltaDiscoveryResponse response) {
            handle(this, response);
        }

        @Override
        public void onError(Throwable t) {
            streamEnded(this, t);
        }

        @Override
        public void onCompleted() {
            synchronized (this) {
                try {
                    requests.onCompleted();
                } catch (RuntimeException ignored) {
                    // already half-closed
                }
            }
            streamEnded(this, null);
        }
    }
}
