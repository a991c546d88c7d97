package io.ambientjava.perf.controlplane;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One ztunnel as istiod-lite sees it: a Delta ADS stream subscribed (wildcard) to addresses and authorizations
 * that ACKs every response at once and keeps the set of resource names it holds. It does not decode the
 * resources; the benchmark only needs what arrived and when.
 */
final class SimulatedZtunnel implements AutoCloseable {

    static final String ADDRESS = "type.googleapis.com/istio.workload.Address";
    static final String AUTHORIZATION = "type.googleapis.com/istio.security.Authorization";

    /** What arrived in one response, handed to the benchmark's watcher on the gRPC thread. */
    record Arrival(SimulatedZtunnel client, long nanos, DeltaDiscoveryResponse response) {}

    private final String node;
    private final Set<String> addresses = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Consumer<Arrival>> watcher = new AtomicReference<>(arrival -> {});
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private StreamObserver<DeltaDiscoveryRequest> requests;

    SimulatedZtunnel(String node) {
        this.node = node;
    }

    void connect(ManagedChannel channel) {
        requests = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(new Responses());
        Node identity = Node.newBuilder()
                .setId("ztunnel~127.0.0.1~ztunnel-" + node + ".istio-system~istio-system.svc.cluster.local")
                .setMetadata(Struct.newBuilder()
                        .putFields(
                                "NODE_NAME",
                                Value.newBuilder().setStringValue(node).build())
                        .putFields(
                                "NAMESPACE",
                                Value.newBuilder()
                                        .setStringValue("istio-system")
                                        .build()))
                .build();
        synchronized (this) {
            requests.onNext(DeltaDiscoveryRequest.newBuilder()
                    .setNode(identity)
                    .setTypeUrl(ADDRESS)
                    .build());
            requests.onNext(DeltaDiscoveryRequest.newBuilder()
                    .setNode(identity)
                    .setTypeUrl(AUTHORIZATION)
                    .build());
        }
    }

    int addressCount() {
        return addresses.size();
    }

    boolean holds(String addressName) {
        return addresses.contains(addressName);
    }

    void watch(Consumer<Arrival> consumer) {
        watcher.set(consumer);
    }

    void checkHealthy() {
        Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException("xDS stream of simulated ztunnel " + node + " failed: " + t, t);
        }
    }

    @Override
    public synchronized void close() {
        if (requests != null) {
            requests.onCompleted();
        }
    }

    private final class Responses implements StreamObserver<DeltaDiscoveryResponse> {
        @Override
        public void onNext(DeltaDiscoveryResponse response) {
            long now = System.nanoTime();
            if (response.getTypeUrl().equals(ADDRESS)) {
                for (Resource resource : response.getResourcesList()) {
                    addresses.add(resource.getName());
                }
                response.getRemovedResourcesList().forEach(addresses::remove);
            }
            synchronized (SimulatedZtunnel.this) {
                requests.onNext(DeltaDiscoveryRequest.newBuilder()
                        .setTypeUrl(response.getTypeUrl())
                        .setResponseNonce(response.getNonce())
                        .build());
            }
            watcher.get().accept(new Arrival(SimulatedZtunnel.this, now, response));
        }

        @Override
        public void onError(Throwable t) {
            failure.compareAndSet(null, t);
        }

        @Override
        public void onCompleted() {
            failure.compareAndSet(null, new IllegalStateException("server closed the stream"));
        }
    }
}
