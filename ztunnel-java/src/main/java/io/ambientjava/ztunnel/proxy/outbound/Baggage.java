package io.ambientjava.ztunnel.proxy.outbound;

import io.ambientjava.ztunnel.state.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The W3C {@code baggage} header ztunnel sends with a CONNECT: the source workload's cluster, namespace, workload
 * name and canonical service, so the server side can label its telemetry.
 */
final class Baggage {

    private Baggage() {}

    static String of(Workload source) {
        List<String> entries = new ArrayList<>();
        add(entries, "k8s.cluster.name", source.clusterId());
        add(entries, "k8s.namespace.name", source.namespace());
        if (!source.workloadType().isEmpty()) {
            add(entries, "k8s." + source.workloadType().toLowerCase(Locale.ROOT) + ".name", source.workloadName());
        }
        add(entries, "service.name", source.canonicalName());
        add(entries, "service.version", source.canonicalRevision());
        return String.join(",", entries);
    }

    private static void add(List<String> entries, String key, String value) {
        if (!value.isEmpty() && value.chars().allMatch(Baggage::isValueChar)) {
            entries.add(key + "=" + value);
        }
    }

    /** Baggage values are percent-encoded otherwise; names in Kubernetes never need it, so odd ones are left out. */
    private static boolean isValueChar(int c) {
        return c > 0x20 && c < 0x7f && c != ',' && c != ';' && c != '\\' && c != '"';
    }
}
