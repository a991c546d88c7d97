package io.ambientjava.waypoint.telemetry;

import static io.ambientjava.waypoint.telemetry.SourceLabels.UNKNOWN;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;

/**
 * Istio's standard request metric labels for one request, {@code "unknown"} where nothing is known. Workload
 * labels of the destination come from the endpoint's {@code istio} metadata; the source from the mTLS identity and,
 * when the client's ztunnel sent it, the {@code baggage}.
 */
record RequestLabels(
        SourceLabels source,
        DestinationLabels destination,
        String requestProtocol,
        String responseCode,
        String grpcResponseStatus,
        String responseFlags,
        String connectionSecurityPolicy) {

    private static final String[] STATUS_CODES = new String[1000];

    static {
        for (int i = 0; i < STATUS_CODES.length; i++) {
            STATUS_CODES[i] = Integer.toString(i);
        }
    }

    static RequestLabels of(RequestRecord r, PeerLabelCache peers) {
        int status = r.status();
        return new RequestLabels(
                peers.source(r.sourceWorkload(), r.sourcePrincipal()),
                peers.destination(r.destinationService(), r.destinationWorkload(), r.destinationPrincipal()),
                r.grpcStatus().isPresent() ? "grpc" : "http",
                status >= 0 && status < STATUS_CODES.length ? STATUS_CODES[status] : Integer.toString(status),
                r.grpcStatus().orElse(""),
                r.responseFlags(),
                r.mtls() ? "mutual_tls" : "none");
    }

    Tags tags() {
        List<Tag> tags = new ArrayList<>(27);
        tags.add(Tag.of("reporter", "waypoint"));
        peerTags(source, destination, tags);
        tags.add(Tag.of("request_protocol", requestProtocol));
        tags.add(Tag.of("response_code", responseCode));
        tags.add(Tag.of("grpc_response_status", grpcResponseStatus));
        tags.add(Tag.of("response_flags", responseFlags));
        tags.add(Tag.of("connection_security_policy", connectionSecurityPolicy));
        return Tags.of(tags);
    }

    /** The source and destination labels that request and TCP metrics share. */
    static void peerTags(SourceLabels source, DestinationLabels destination, List<Tag> tags) {
        tags.add(Tag.of("source_workload", source.workload()));
        tags.add(Tag.of("source_workload_namespace", source.workloadNamespace()));
        tags.add(Tag.of("source_principal", source.principal()));
        tags.add(Tag.of("source_canonical_service", source.workload()));
        tags.add(Tag.of("source_canonical_revision", UNKNOWN));
        tags.add(Tag.of("source_app", source.workload()));
        tags.add(Tag.of("source_version", UNKNOWN));
        tags.add(Tag.of("source_cluster", UNKNOWN));
        tags.add(Tag.of("destination_service", destination.service()));
        tags.add(Tag.of("destination_service_name", destination.serviceName()));
        tags.add(Tag.of("destination_service_namespace", destination.serviceNamespace()));
        tags.add(Tag.of("destination_workload", destination.workload()));
        tags.add(Tag.of("destination_workload_namespace", destination.workloadNamespace()));
        tags.add(Tag.of("destination_canonical_service", destination.canonicalService()));
        tags.add(Tag.of("destination_canonical_revision", destination.canonicalRevision()));
        tags.add(Tag.of("destination_app", destination.canonicalService()));
        tags.add(Tag.of("destination_version", destination.canonicalRevision()));
        tags.add(Tag.of("destination_cluster", destination.cluster()));
        tags.add(Tag.of("destination_principal", destination.principal()));
    }
}
