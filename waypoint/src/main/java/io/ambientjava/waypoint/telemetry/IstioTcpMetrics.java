package io.ambientjava.waypoint.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Istio's standard TCP metrics with {@code reporter="waypoint"}: {@code istio_tcp_connections_opened_total},
 * {@code istio_tcp_connections_closed_total}, {@code istio_tcp_received_bytes_total} (client to endpoint) and
 * {@code istio_tcp_sent_bytes_total} (endpoint to client), with Istio's labels and {@code request_protocol="tcp"}.
 * Bytes are counted as they pass, so long connections show up before they close.
 */
public final class IstioTcpMetrics implements TcpObserver {

    private static final String UNKNOWN = "unknown";

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
        String[] workload =
                info.destinationWorkload().map(w -> w.split(";", -1)).orElse(new String[0]);
        String[] host = info.destinationService().split("\\.");
        String sourceWorkload = known(info.sourceWorkload());
        return Tags.of(
                        "reporter", "waypoint",
                        "source_workload", sourceWorkload,
                        "source_workload_namespace",
                                known(info.sourcePrincipal().flatMap(IstioTcpMetrics::namespaceOf)),
                        "source_principal", known(info.sourcePrincipal()),
                        "source_canonical_service", sourceWorkload,
                        "source_canonical_revision", UNKNOWN,
                        "source_app", sourceWorkload,
                        "source_version", UNKNOWN,
                        "source_cluster", UNKNOWN,
                        "destination_service",
                                info.destinationService().isEmpty() ? UNKNOWN : info.destinationService())
                .and(
                        "destination_service_name", host.length > 0 && !host[0].isEmpty() ? host[0] : UNKNOWN,
                        "destination_service_namespace", host.length > 1 ? host[1] : UNKNOWN,
                        "destination_workload", part(workload, 0),
                        "destination_workload_namespace", part(workload, 1),
                        "destination_canonical_service", part(workload, 2),
                        "destination_canonical_revision", part(workload, 3),
                        "destination_app", part(workload, 2),
                        "destination_version", part(workload, 3),
                        "destination_cluster", part(workload, 4),
                        "destination_principal", known(info.destinationPrincipal()))
                .and(
                        "request_protocol",
                        "tcp",
                        "response_flags",
                        info.responseFlags(),
                        "connection_security_policy",
                        info.mtls() ? "mutual_tls" : "none");
    }

    private static String known(Optional<String> value) {
        return value.filter(v -> !v.isEmpty()).orElse(UNKNOWN);
    }

    private static String part(String[] parts, int i) {
        return parts.length > i && !parts[i].isEmpty() ? parts[i] : UNKNOWN;
    }

    /** {@code spiffe://td/ns/<namespace>/sa/<sa>} → the namespace. */
    private static Optional<String> namespaceOf(String spiffe) {
        int ns = spiffe.indexOf("/ns/");
        if (ns < 0) {
            return Optional.empty();
        }
        int end = spiffe.indexOf('/', ns + 4);
        return Optional.of(end < 0 ? spiffe.substring(ns + 4) : spiffe.substring(ns + 4, end));
    }
}
