package io.ambientjava.ztunnel.telemetry.metrics;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The label set of Istio's TCP metrics for one connection, the way upstream ztunnel fills it: workload labels from
 * the store's workloads, {@code source_principal} only from the connection's (mTLS) source identity,
 * {@code destination_principal} from the destination's identity, {@code "unknown"} for every missing value.
 *
 * <p>Also the key of the per-label-set counter cache, so equal connections share counters.
 */
public record TrafficLabels(
        String reporter,
        String sourceWorkload,
        String sourceCanonicalService,
        String sourceCanonicalRevision,
        String sourceWorkloadNamespace,
        String sourcePrincipal,
        String sourceApp,
        String sourceVersion,
        String sourceCluster,
        String destinationService,
        String destinationServiceNamespace,
        String destinationServiceName,
        String destinationWorkload,
        String destinationCanonicalService,
        String destinationCanonicalRevision,
        String destinationWorkloadNamespace,
        String destinationPrincipal,
        String destinationApp,
        String destinationVersion,
        String destinationCluster,
        String requestProtocol,
        String responseFlags,
        String connectionSecurityPolicy) {

    /** Istio's value for anything not known. */
    public static final String UNKNOWN = "unknown";
    /** ztunnel only speaks TCP at this layer. */
    public static final String TCP = "tcp";

    /** The labels of a connection, with {@code response_flags} as given. */
    public static TrafficLabels of(ConnectionInfo c, ResponseFlags flags) {
        Optional<Workload> src = c.sourceWorkload();
        Optional<Workload> dst = c.destinationWorkload();
        Optional<Service> svc = c.destinationService();
        String sourceNamespace = src.map(Workload::namespace)
                .or(() -> c.sourceIdentity().map(SpiffeId::namespace))
                .orElse("");
        String destinationPrincipal = c.destinationIdentity()
                .map(SpiffeId::toString)
                .or(() -> dst.map(Workload::spiffeId))
                .orElse("");
        return new TrafficLabels(
                c.reporter().label(),
                known(src.map(Workload::workloadName)),
                known(src.map(Workload::canonicalName)),
                known(src.map(Workload::canonicalRevision)),
                known(sourceNamespace),
                known(c.sourceIdentity().map(SpiffeId::toString)),
                known(src.map(Workload::canonicalName)),
                known(src.map(Workload::canonicalRevision)),
                known(src.map(Workload::clusterId)),
                known(svc.map(Service::hostname)),
                known(svc.map(Service::namespace)),
                known(svc.map(Service::name)),
                known(dst.map(Workload::workloadName)),
                known(dst.map(Workload::canonicalName)),
                known(dst.map(Workload::canonicalRevision)),
                known(dst.map(Workload::namespace)),
                known(destinationPrincipal),
                known(dst.map(Workload::canonicalName)),
                known(dst.map(Workload::canonicalRevision)),
                known(dst.map(Workload::clusterId)),
                TCP,
                flags.label(),
                c.securityPolicy().label());
    }

    private static String known(Optional<String> value) {
        return known(value.orElse(""));
    }

    private static String known(String value) {
        return value == null || value.isEmpty() ? UNKNOWN : value;
    }

    /** The same labels with other response flags. */
    public TrafficLabels withResponseFlags(ResponseFlags flags) {
        return new TrafficLabels(
                reporter,
                sourceWorkload,
                sourceCanonicalService,
                sourceCanonicalRevision,
                sourceWorkloadNamespace,
                sourcePrincipal,
                sourceApp,
                sourceVersion,
                sourceCluster,
                destinationService,
                destinationServiceNamespace,
                destinationServiceName,
                destinationWorkload,
                destinationCanonicalService,
                destinationCanonicalRevision,
                destinationWorkloadNamespace,
                destinationPrincipal,
                destinationApp,
                destinationVersion,
                destinationCluster,
                requestProtocol,
                flags.label(),
                connectionSecurityPolicy);
    }

    /** As Micrometer tags, named as Istio names the labels. */
    public Tags tags() {
        List<Tag> tags = new ArrayList<>(23);
        tags.add(Tag.of("reporter", reporter));
        tags.add(Tag.of("source_workload", sourceWorkload));
        tags.add(Tag.of("source_canonical_service", sourceCanonicalService));
        tags.add(Tag.of("source_canonical_revision", sourceCanonicalRevision));
        tags.add(Tag.of("source_workload_namespace", sourceWorkloadNamespace));
        tags.add(Tag.of("source_principal", sourcePrincipal));
        tags.add(Tag.of("source_app", sourceApp));
        tags.add(Tag.of("source_version", sourceVersion));
        tags.add(Tag.of("source_cluster", sourceCluster));
        tags.add(Tag.of("destination_service", destinationService));
        tags.add(Tag.of("destination_service_namespace", destinationServiceNamespace));
        tags.add(Tag.of("destination_service_name", destinationServiceName));
        tags.add(Tag.of("destination_workload", destinationWorkload));
        tags.add(Tag.of("destination_canonical_service", destinationCanonicalService));
        tags.add(Tag.of("destination_canonical_revision", destinationCanonicalRevision));
        tags.add(Tag.of("destination_workload_namespace", destinationWorkloadNamespace));
        tags.add(Tag.of("destination_principal", destinationPrincipal));
        tags.add(Tag.of("destination_app", destinationApp));
        tags.add(Tag.of("destination_version", destinationVersion));
        tags.add(Tag.of("destination_cluster", destinationCluster));
        tags.add(Tag.of("request_protocol", requestProtocol));
        tags.add(Tag.of("response_flags", responseFlags));
        tags.add(Tag.of("connection_security_policy", connectionSecurityPolicy));
        return Tags.of(tags);
    }
}
