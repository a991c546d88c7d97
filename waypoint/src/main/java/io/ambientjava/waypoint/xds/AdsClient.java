package io.ambientjava.waypoint.xds;

import com.google.rpc.Status;
import io.ambientjava.waypoint.config.UnsupportedConfigException;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delta ADS client for the four Envoy types. Every response is applied whole or NACKed with the reason
 * ({@code error_detail}); the last good snapshot stays in force. Reconnects with backoff, telling the server
 * which resource versions it already holds.
 */
public final class AdsClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdsClient.class);
    private static final int INVALID_ARGUMENT = 3;

    private final Channel channel;
    private final io.grpc.CallCredentials credentials;
    private final NodeIdentity node;
    private final ConfigAssembler assembler = new ConfigAssembler();
    private final Consumer<WaypointConfig> onConfig;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ads-client").factory());
    private final AtomicLong acks = new AtomicLong();
    private final AtomicLong nacks = new AtomicLong();
    private volatile String lastNack = "";
    private volatile boolean closed;
    private volatile StreamObserver<DeltaDiscoveryRequest> requests;
    private Duration backoff = Duration.ofMillis(200);

    /** @param onConfig called (on the client's thread) with every new accepted snapshot */
    public AdsClient(Channel channel, NodeIdentity node, Consumer<WaypointConfig> onConfig) {
        this(channel, null, node, onConfig);
    }

    /** @param credentials sent with the stream (a bearer token), or null */
    public AdsClient(
            Channel channel,
            io.grpc.CallCredentials credentials,
            NodeIdentity node,
            Consumer<WaypointConfig> onConfig) {
        this.credentials = credentials;
        this.channel = Objects.requireNonNull(channel, "channel");
        this.node = Objects.requireNonNull(node, "node");
        this.onConfig = Objects.requireNonNull(onConfig, "onConfig");
    }

    public void start() {
        scheduler.execute(this::openStream);
    }

    public long acks() {
        return acks.get();
    }

    public long nacks() {
        return nacks.get();
    }

    /** The error detail of the most recent NACK ("" if none). */
    public String lastNack() {
        return lastNack;
    }

    private void openStream() {
        if (closed) {
            return;
        }
        var stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
        if (credentials != null) {
            stub = stub.withCallCredentials(credentials);
        }
        StreamObserver<DeltaDiscoveryRequest> out = stub.deltaAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DeltaDiscoveryResponse response) {
                if (closed) {
                    return;
                }
                scheduler.execute(() -> onResponse(response));
            }

            @Override
            public void onError(Throwable t) {
                if (closed) {
                    return;
                }
                log.warn("ADS stream failed: {}; reconnecting", t.toString());
                scheduleReconnect();
            }

            @Override
            public void onCompleted() {
                log.info("ADS stream closed by the server; reconnecting");
                scheduleReconnect();
            }
        });
        requests = out;
        boolean first = true;
        for (String type : TypeUrls.ALL) {
            var request = DeltaDiscoveryRequest.newBuilder()
                    .setTypeUrl(type)
                    .putAllInitialResourceVersions(assembler.versions(type));
            if (first) {
                request.setNode(node.toNode());
                first = false;
            }
            send(out, request.build());
        }
        log.info("ADS stream open as {}", node.id());
    }

    private void scheduleReconnect() {
        if (closed) {
            return;
        }
        Duration wait = backoff;
        backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(15)) > 0
                ? Duration.ofSeconds(15)
                : backoff.multipliedBy(2);
        scheduler.schedule(this::openStream, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void onResponse(DeltaDiscoveryResponse response) {
        backoff = Duration.ofMillis(200);
        List<ConfigAssembler.Update> updates = new ArrayList<>();
        for (Resource r : response.getResourcesList()) {
            updates.add(new ConfigAssembler.Update(r.getName(), r.getVersion(), r.getResource()));
        }
        var ack = DeltaDiscoveryRequest.newBuilder()
                .setTypeUrl(response.getTypeUrl())
                .setResponseNonce(response.getNonce());
        try {
            WaypointConfig config = assembler.apply(response.getTypeUrl(), updates, response.getRemovedResourcesList());
            acks.incrementAndGet();
            log.info(
                    "ADS: accepted {} update(s), {} removal(s) of {}",
                    updates.size(),
                    response.getRemovedResourcesCount(),
                    response.getTypeUrl());
            onConfig.accept(config);
        } catch (UnsupportedConfigException | IllegalArgumentException e) {
            nacks.incrementAndGet();
            lastNack = e.getMessage();
            log.warn("ADS: rejected {} (keeping the previous config): {}", response.getTypeUrl(), e.getMessage());
            ack.setErrorDetail(Status.newBuilder()
                    .setCode(INVALID_ARGUMENT)
                    .setMessage(e.getMessage())
                    .build());
        }
        StreamObserver<DeltaDiscoveryRequest> out = requests;
        if (out != null) {
            send(out, ack.build());
        }
    }

    private static void send(StreamObserver<DeltaDiscoveryRequest> out, DeltaDiscoveryRequest request) {
        synchronized (out) {
            try {
                out.onNext(request);
            } catch (RuntimeException e) {
                log.debug("cannot send on the ADS stream: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        StreamObserver<DeltaDiscoveryRequest> out = requests;
        if (out != null) {
            try {
                out.onCompleted();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        scheduler.shutdownNow();
    }
}
