package io.ambientjava.waypoint.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Istio's standard TCP metrics with {@code reporter="waypoint"}: {@code istio_tcp_connections_opened_total},
 * {@code istio_tcp_connections_closed_total}, {@code istio_tcp_received_bytes_total} (client to endpoint) and
 * {@code istio_tcp_sent_bytes_total} (endpoint to client), with Istio's labels and {@code request_protocol="tcp"}.
 * Bytes are counted as they pass, so long connections show up before they close.
 */
public final class IstioTcpMetrics implements TcpObserver {

    private final MeterRegistry registry;
    private final Map<TcpConnectionInfo, Meters> meters = new ConcurrentHashMap<>();

    private record Meters(Counter opened, Counter closed, Counter received, Counter sent) {}

    public IstioTcpMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public Connection opened(TcpConnectionInfo info) {
        Meters m = meters.computeIfAbsent(info, this::register);
        m.opened().increment();
        return new Connection() {
            private boolean closed;

            @Override
            public void received(long bytes) {
                m.received().increment(bytes);
            }

            @Override
            public void sent(long bytes) {
                m.sent().increment(bytes);
            }

            @Override
            public void closed() {
                if (!closed) {
                    closed = true;
                    m.closed().increment();
                }
            }
        };
    }

    private Meters register(TcpConnectionInfo info) {
        Tags tags = tags(info);
        return new Meters(
                counter("istio.tcp.connections.opened", "TCP connections opened", tags),
                counter("istio.tcp.connections.closed", "TCP connections closed", tags),
                counter("istio.tcp.received.bytes", "Bytes received from clients of TCP connections", tags),
                counter("istio.tcp.sent.bytes", "Bytes sent to clients of TCP connections", tags));
    }

    private Counter counter(String name, String description, Tags tags) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    static Tags tags(TcpConnectionInfo info) {
        List<Tag> tags = new ArrayList<>(24);
        tags.add(Tag.of("reporter", "waypoint"));
        RequestLabels.peerTags(
                SourceLabels.of(info.sourceWorkload(), info.sourcePrincipal()),
                DestinationLabels.of(
                        info.destinationService(), info.destinationWorkload(), info.destinationPrincipal()),
                tags);
        tags.add(Tag.of("request_protocol", "tcp"));
        tags.add(Tag.of("response_flags", info.responseFlags()));
        tags.add(Tag.of("connection_security_policy", info.mtls() ? "mutual_tls" : "none"));
        return Tags.of(tags);
    }
}
