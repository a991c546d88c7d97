package io.ambientjava.istiod.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** A Delta ADS client over a real gRPC channel, as ztunnel would use it; every response is queued for the test. */
public final class XdsTestClient implements AutoCloseable {

    private final ManagedChannel channel;
    private final StreamObserver<DeltaDiscoveryRequest> requests;
    private final BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
    private final CompletableFuture<Throwable> closed = new CompletableFuture<>();

    public XdsTestClient(int port, String nodeId) {
        this(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build(), nodeId);
    }

    /** A client that sends this whole node (id and metadata), as a waypoint or gateway does. */
    public XdsTestClient(int port, Node node) {
        this(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build(), node.getId());
        this.node = node;
    }

    /** A client over a channel the test built (TLS, credentials); closing the client shuts the channel down. */
    public XdsTestClient(ManagedChannel channel, String nodeId) {
        this.channel = channel;
        this.requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
                .deltaAggregatedResources(new StreamObserver<>() {
                    @Override
                    public void onNext(DeltaDiscoveryResponse response) {
                        responses.add(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                        closed.complete(t);
                    }

                    @Override
                    public void onCompleted() {
                        closed.complete(null);
                    }
                });
        this.nodeId = nodeId;
    }

    private final String nodeId;
    private Node node;

    public void subscribe(String typeUrl) {
        subscribe(typeUrl, Map.of());
    }

    public void subscribe(String typeUrl, Map<String, String> initialVersions) {
        requests.onNext(DeltaDiscoveryRequest.newBuilder()
                .setNode(node != null ? node : Node.newBuilder().setId(nodeId).build())
                .setTypeUrl(typeUrl)
                .putAllInitialResourceVersions(initialVersions)
                .build());
    }

    public void send(DeltaDiscoveryRequest request) {
        requests.onNext(request);
    }

    public void ack(DeltaDiscoveryResponse response) {
        requests.onNext(DeltaDiscoveryRequest.newBuilder()
                .setTypeUrl(response.getTypeUrl())
                .setResponseNonce(response.getNonce())
                .build());
    }

    public void nack(DeltaDiscoveryResponse response, String message) {
        nack(response, message, 3);
    }

    /** A NACK with this status code; upstream ztunnel leaves it 0 and sends only the message. */
    public void nack(DeltaDiscoveryResponse response, String message, int code) {
        requests.onNext(DeltaDiscoveryRequest.newBuilder()
                .setTypeUrl(response.getTypeUrl())
                .setResponseNonce(response.getNonce())
                .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(code).setMessage(message))
                .build());
    }

    public DeltaDiscoveryResponse next() throws InterruptedException {
        DeltaDiscoveryResponse response = responses.poll(5, TimeUnit.SECONDS);
        assertThat(response).as("an xDS response within 5 s").isNotNull();
        return response;
    }

    /** Asserts nothing arrives within {@code wait}. */
    public void expectSilence(Duration wait) throws InterruptedException {
        DeltaDiscoveryResponse response = responses.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(response).as("no further xDS response").isNull();
    }

    public Throwable awaitClosed() throws Exception {
        return closed.get(5, TimeUnit.SECONDS);
    }

    public static Map<String, String> versions(DeltaDiscoveryResponse response) {
        return response.getResourcesList().stream().collect(Collectors.toMap(Resource::getName, Resource::getVersion));
    }

    @Override
    public void close() throws InterruptedException {
        try {
            requests.onCompleted();
        } catch (RuntimeException e) {
            // already closed by the server
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
