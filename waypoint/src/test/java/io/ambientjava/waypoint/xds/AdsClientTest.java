package io.ambientjava.waypoint.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdsClientTest {

    private final BlockingQueue<DeltaDiscoveryRequest> received = new LinkedBlockingQueue<>();
    private final AtomicReference<StreamObserver<DeltaDiscoveryResponse>> toClient = new AtomicReference<>();
    private final AtomicReference<WaypointConfig> latest = new AtomicReference<>(WaypointConfig.EMPTY);
    private Server server;
    private ManagedChannel channel;
    private AdsClient client;

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {
                    @Override
                    public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
                            StreamObserver<DeltaDiscoveryResponse> responses) {
                        toClient.set(responses);
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(DeltaDiscoveryRequest value) {
                                received.add(value);
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {
                                responses.onCompleted();
                            }
                        };
                    }
                })
                .build()
                .start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                .usePlaintext()
                .build();
        client = new AdsClient(
                channel, new NodeIdentity(false, "198.18.0.9", "wp-0", "default", "waypoint", "waypoint"), latest::set);
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void subscribesToAllFourTypesWithTheNode() throws Exception {
        List<DeltaDiscoveryRequest> first = List.of(take(), take(), take(), take());
        assertThat(first).extracting(DeltaDiscoveryRequest::getTypeUrl).containsExactlyElementsOf(TypeUrls.ALL);
        assertThat(first.get(0).getNode().getId())
                .isEqualTo("waypoint~198.18.0.9~wp-0.default~default.svc.cluster.local");
        assertThat(first.get(0)
                        .getNode()
                        .getMetadata()
                        .getFieldsOrThrow("WAYPOINT")
                        .getStringValue())
                .isEqualTo("waypoint");
        assertThat(first)
                .allSatisfy(r -> assertThat(r.getResourceNamesSubscribeList()).isEmpty());
    }

    @Test
    void acksGoodConfigAndNacksUnsupportedKeepingTheLastGood() throws Exception {
        for (int i = 0; i < 4; i++) {
            take();
        }
        var listener = Envoy.httpListener("198.19.0.10", 80, "h");
        send(TypeUrls.LISTENER, "n1", listener.getName(), Any.pack(listener));
        DeltaDiscoveryRequest ack = take();
        assertThat(ack.getResponseNonce()).isEqualTo("n1");
        assertThat(ack.hasErrorDetail()).isFalse();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> latest.get().listeners().containsKey(listener.getName()));

        var bad = listener.toBuilder().setContinueOnListenerFiltersTimeout(true).build();
        send(TypeUrls.LISTENER, "n2", bad.getName(), Any.pack(bad));
        DeltaDiscoveryRequest nack = take();
        assertThat(nack.getResponseNonce()).isEqualTo("n2");
        assertThat(nack.getErrorDetail().getMessage()).contains("continue_on_listener_filters_timeout");
        assertThat(latest.get().listeners()).containsKey(listener.getName());
        assertThat(client.nacks()).isEqualTo(1);
    }

    @Test
    void removalsDropResources() throws Exception {
        for (int i = 0; i < 4; i++) {
            take();
        }
        var cluster = Envoy.edsCluster("outbound|80||h").build();
        send(TypeUrls.CLUSTER, "a", cluster.getName(), Any.pack(cluster));
        take();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> latest.get().clusters().containsKey(cluster.getName()));
        toClient.get()
                .onNext(DeltaDiscoveryResponse.newBuilder()
                        .setTypeUrl(TypeUrls.CLUSTER)
                        .setNonce("b")
                        .addRemovedResources(cluster.getName())
                        .build());
        take();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> latest.get().clusters().isEmpty());
    }

    private void send(String type, String nonce, String name, Any resource) {
        toClient.get()
                .onNext(DeltaDiscoveryResponse.newBuilder()
                        .setTypeUrl(type)
                        .setNonce(nonce)
                        .addResources(Resource.newBuilder()
                                .setName(name)
                                .setVersion("1")
                                .setResource(resource))
                        .build());
    }

    private DeltaDiscoveryRequest take() throws InterruptedException {
        DeltaDiscoveryRequest r = received.poll(5, TimeUnit.SECONDS);
        assertThat(r).as("a request from the client").isNotNull();
        return r;
    }
}
