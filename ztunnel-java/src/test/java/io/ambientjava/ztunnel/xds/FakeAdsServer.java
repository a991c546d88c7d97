package io.ambientjava.ztunnel.xds;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A Delta ADS server the test drives by hand: it records requests and sends whatever the test tells it to. */
public final class FakeAdsServer implements AutoCloseable {

    /** One request, with the number of the stream it came on (1 for the first stream). */
    public record Received(int stream, DeltaDiscoveryRequest request) {}

    private final BlockingQueue<Received> requests = new LinkedBlockingQueue<>();
    private final Server server;
    private volatile StreamObserver<DeltaDiscoveryResponse> current;
    private int streams;

    public FakeAdsServer() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {
                    @Override
                    public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
                            StreamObserver<DeltaDiscoveryResponse> responses) {
                        int stream;
                        synchronized (FakeAdsServer.this) {
                            stream = ++streams;
                            current = responses;
                        }
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(DeltaDiscoveryRequest request) {
                                requests.add(new Received(stream, request));
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {}
                        };
                    }
                })
                .build()
                .start();
    }

    public int port() {
        return server.getPort();
    }

    /** The next request, waiting up to 10 s. */
    public Received next() throws InterruptedException {
        Received received = requests.poll(10, TimeUnit.SECONDS);
        if (received == null) {
            throw new AssertionError("no request from the xDS client within 10 s");
        }
        return received;
    }

    public void send(DeltaDiscoveryResponse response) {
        current.onNext(response);
    }

    /** Ends the current stream with UNAVAILABLE, as a control plane going away would. */
    public void failStream() {
        current.onError(
                Status.UNAVAILABLE.withDescription("control plane restarting").asRuntimeException());
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }
}
