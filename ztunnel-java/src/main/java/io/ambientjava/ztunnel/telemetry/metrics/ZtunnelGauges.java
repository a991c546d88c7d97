package io.ambientjava.ztunnel.telemetry.metrics;

import io.ambientjava.ztunnel.status.BuildInfo;
import io.ambientjava.ztunnel.status.CertificateStatus;
import io.ambientjava.ztunnel.status.ZtunnelStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * ztunnel's own health gauges, read from a {@link ZtunnelStatus} when scraped:
 *
 * <ul>
 *   <li>{@code istio_build{component="ztunnel",tag}} 1, as upstream exports it
 *   <li>{@code ztunnel_workloads}, {@code ztunnel_services}, {@code ztunnel_policies}: what the store holds
 *   <li>{@code ztunnel_state_generation}: bumped by every applied update
 *   <li>{@code ztunnel_pods}: pods proxied
 *   <li>{@code ztunnel_certificates{state}}: workload certificates by state
 *   <li>{@code ztunnel_certificate_expiration_timestamp_seconds{identity}}: each available certificate's notAfter
 * </ul>
 *
 * Per-identity rows change as pods come and go; call {@link #refresh()} before a scrape to bring them up to date.
 */
public final class ZtunnelGauges {

    private final ZtunnelStatus status;
    private final MultiGauge certificateExpiry;
    private final Map<CertificateStatus.State, Long> certificatesByState = new EnumMap<>(CertificateStatus.State.class);

    public ZtunnelGauges(MeterRegistry registry, ZtunnelStatus status, BuildInfo build) {
        this.status = Objects.requireNonNull(status, "status");
        Gauge.builder("istio.build", () -> 1)
                .description("Istio component build info")
                .tags("component", build.component(), "tag", build.version())
                .register(registry);
        Gauge.builder("ztunnel.workloads", status, s -> s.snapshot().workloads().size())
                .description("Workloads in the state store")
                .register(registry);
        Gauge.builder("ztunnel.services", status, s -> s.snapshot().services().size())
                .description("Services in the state store")
                .register(registry);
        Gauge.builder("ztunnel.policies", status, s -> s.snapshot().policies().size())
                .description("Authorization policies in the state store")
                .register(registry);
        Gauge.builder("ztunnel.state.generation", status, s -> s.snapshot().generation())
                .description("Updates applied to the state store")
                .register(registry);
        Gauge.builder("ztunnel.pods", status, s -> s.pods().size())
                .description("Pods this ztunnel proxies for")
                .register(registry);
        for (CertificateStatus.State state : CertificateStatus.State.values()) {
            certificatesByState.put(state, 0L);
            Gauge.builder("ztunnel.certificates", this, g -> g.certificatesIn(state))
                    .description("Workload certificates by state")
                    .tag("state", state.label())
                    .register(registry);
        }
        certificateExpiry = MultiGauge.builder("ztunnel.certificate.expiration.timestamp.seconds")
                .description("When each workload certificate expires, in seconds since the epoch")
                .register(registry);
        refresh();
    }

    /** Re-reads the certificates: per-state counts and per-identity expiry rows. */
    public synchronized void refresh() {
        Map<CertificateStatus.State, Long> counts = new EnumMap<>(CertificateStatus.State.class);
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (CertificateStatus certificate : status.certificates()) {
            counts.merge(certificate.state(), 1L, Long::sum);
            certificate
                    .notAfter()
                    .ifPresent(notAfter -> rows.add(
                            MultiGauge.Row.of(Tags.of("identity", certificate.identity()), notAfter.getEpochSecond())));
        }
        for (CertificateStatus.State state : CertificateStatus.State.values()) {
            certificatesByState.put(state, counts.getOrDefault(state, 0L));
        }
        certificateExpiry.register(rows, true);
    }

    private synchronized double certificatesIn(CertificateStatus.State state) {
        return certificatesByState.get(state);
    }
}
