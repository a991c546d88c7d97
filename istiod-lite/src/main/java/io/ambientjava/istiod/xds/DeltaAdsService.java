package io.ambientjava.istiod.xds;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources} serving ztunnel's
 * workload types, and each waypoint's or gateway's Envoy types ({@link TypeUrls}), from an {@link XdsCache}. State-of-the-world ADS is not offered (ztunnel only
 * speaks Delta); the generated base answers it with UNIMPLEMENTED.
 */
public final class DeltaAdsService extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {

    private final XdsCache cache;
    private final XdsMetrics metrics;
    private final Set<DeltaStream> streams = ConcurrentHashMap.newKeySet();

    public DeltaAdsService(XdsCache cache, MeterRegistry registry) {
        this.cache = cache;
        this.metrics = new XdsMetrics(registry);
    }

    @Override
    public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
            StreamObserver<DeltaDiscoveryResponse> responses) {
        DeltaStream[] holder = new DeltaStream[1];
        Runnable proxiesChanged = () -> holder[0].proxiesChanged();
        DeltaStream stream = new DeltaStream(responses, cache, metrics, () -> {
            if (streams.remove(holder[0])) {
                cache.removeListener(holder[0]);
                cache.removeProxyListener(proxiesChanged);
                metrics.disconnected();
            }
        });
        holder[0] = stream;
        streams.add(stream);
        metrics.connected();
        cache.addListener(stream);
        cache.addProxyListener(proxiesChanged);
        return stream;
    }

    /** The connected clients and what each has accepted. */
    public List<XdsClientView> clients() {
        return streams.stream().map(DeltaStream::view).toList();
    }

    /** NACKs received for a type URL since start. */
    public double rejects(String typeUrl) {
        return metrics.rejects(typeUrl);
    }
}
