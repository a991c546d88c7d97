package io.ambientjava.ztunnel.telemetry.metrics;

import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.ConnectionObserver;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Istio's TCP metrics, named and labelled as upstream ztunnel exports them (see {@link TrafficLabels}):
 *
 * <ul>
 *   <li>{@code istio_tcp_connections_opened_total}, {@code istio_tcp_connections_closed_total}
 *   <li>{@code istio_tcp_received_bytes_total}: bytes from the client towards the server (Istio: "received during
 *       request")
 *   <li>{@code istio_tcp_sent_bytes_total}: bytes from the server back to the client ("sent during response")
 * </ul>
 *
 * <p>A refused connection counts as opened and closed, the close carrying {@code response_flags} {@code DENY} or
 * {@code CONNECT}, as upstream records connections it refuses after accepting them. Byte counters grow when a
 * connection closes, since the observer contract reports totals only then (upstream adds bytes as they flow).
 *
 * <p>Also {@code ztunnel_connections_active{reporter}}. Non-blocking: after the first connection of a label set,
 * each event is a cache lookup and atomic adds.
 */
public final class IstioTcpMetrics implements ConnectionObserver {

    static final String OPENED = "istio.tcp.connections.opened";
    static final String CLOSED = "istio.tcp.connections.closed";
    static final String RECEIVED = "istio.tcp.received.bytes";
    static final String SENT = "istio.tcp.sent.bytes";

    private final MeterRegistry registry;
    private final Map<TrafficLabels, Counters> countersByLabels = new ConcurrentHashMap<>();
    private final Map<TrafficLabels, Counter> closedByFlaggedLabels = new ConcurrentHashMap<>();
    private final Map<Reporter, AtomicLong> active = new EnumMap<>(Reporter.class);

    public IstioTcpMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        for (Reporter reporter : Reporter.values()) {
            AtomicLong count = new AtomicLong();
            active.put(reporter, count);
            Gauge.builder("ztunnel.connections.active", count, AtomicLong::get)
                    .description("Connections open right now")
                    .tag("reporter", reporter.label())
                    .register(registry);
        }
    }

    @Override
    public void opened(ConnectionInfo connection) {
        countersFor(TrafficLabels.of(connection, ResponseFlags.NONE)).opened.increment();
        active.get(connection.reporter()).incrementAndGet();
    }

    @Override
    public void closed(ConnectionInfo connection, long sentBytes, long receivedBytes, Optional<String> error) {
        Counters counters = countersFor(TrafficLabels.of(connection, ResponseFlags.NONE));
        counters.closed.increment();
        if (sentBytes > 0) {
            counters.received.increment(sentBytes);
        }
        if (receivedBytes > 0) {
            counters.sent.increment(receivedBytes);
        }
        active.get(connection.reporter()).decrementAndGet();
    }

    @Override
    public void refused(ConnectionInfo connection, String reason) {
        TrafficLabels labels = TrafficLabels.of(connection, ResponseFlags.NONE);
        countersFor(labels).opened.increment();
        TrafficLabels flagged = labels.withResponseFlags(ResponseFlags.forRefusal(reason));
        closedByFlaggedLabels.computeIfAbsent(flagged, l -> counter(CLOSED, l)).increment();
    }

    /** Connections open right now as this observer counted them. */
    public long activeConnections(Reporter reporter) {
        return active.get(reporter).get();
    }

    private Counters countersFor(TrafficLabels labels) {
        Counters counters = countersByLabels.get(labels);
        return counters != null ? counters : countersByLabels.computeIfAbsent(labels, this::register);
    }

    private Counters register(TrafficLabels labels) {
        return new Counters(
                counter(OPENED, labels), counter(CLOSED, labels), counter(SENT, labels), counter(RECEIVED, labels));
    }

    private Counter counter(String name, TrafficLabels labels) {
        return Counter.builder(name)
                .description(description(name))
                .tags(labels.tags())
                .register(registry);
    }

    private static String description(String name) {
        return switch (name) {
            case OPENED -> "The total number of TCP connections opened";
            case CLOSED -> "The total number of TCP connections closed";
            case RECEIVED -> "The size of total bytes received during request in case of a TCP connection";
            case SENT -> "The size of total bytes sent during response in case of a TCP connection";
            default -> throw new IllegalArgumentException(name);
        };
    }

    private record Counters(Counter opened, Counter closed, Counter sent, Counter received) {}
}
