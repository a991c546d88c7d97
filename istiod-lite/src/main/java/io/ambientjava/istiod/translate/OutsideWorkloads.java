package io.ambientjava.istiod.translate;

import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.api.workload.WorkloadStatus;
import java.net.InetAddress;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A workload that is no pod (a ServiceEntry endpoint, a WorkloadEntry): one address, or else a host name and no
 * address (ztunnel resolves the name when it connects), no HBONE (ztunnel connects to it directly), its service
 * account ({@code default} when none is given), and canonical name and revision from its labels as for pods
 * ({@code app}, {@code version}), else its name and {@code latest}.
 */
final class OutsideWorkloads {

    /** One DNS label: letters, digits and '-', 1 to 63 characters. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9-]{1,63}");

    private OutsideWorkloads() {}

    /** A workload at {@code ip}. */
    static Workload.Builder builder(
            MeshSettings settings,
            String uid,
            String name,
            String namespace,
            InetAddress ip,
            String serviceAccount,
            Map<String, String> labels) {
        return common(settings, uid, name, namespace, serviceAccount, labels)
                .addAddresses(ByteString.copyFrom(ip.getAddress()));
    }

    /** A workload without addresses, reached at {@code hostname} (see {@link #isDnsName}). */
    static Workload.Builder builder(
            MeshSettings settings,
            String uid,
            String name,
            String namespace,
            String hostname,
            String serviceAccount,
            Map<String, String> labels) {
        return common(settings, uid, name, namespace, serviceAccount, labels).setHostname(hostname);
    }

    /**
     * Whether {@code name} is a DNS name a workload can be reached at: labels of letters, digits and '-' (1 to 63
     * characters each) joined by '.', at most 253 characters in all, fully qualified with a trailing dot or not; no
     * wildcard.
     */
    /**
     * Where an entry runs and its share of the load, as istiod sends them: {@code locality} ({@code region/zone/
     * subzone}) and {@code weight} as the workload's capacity (unset, ztunnel's default 1, when 0).
     */
    static Workload.Builder placed(
            Workload.Builder workload, io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry entry) {
        Localities.parse(entry.getLocality()).ifPresent(workload::setLocality);
        if (entry.getWeight() != null && entry.getWeight() > 0) {
            workload.setCapacity(com.google.protobuf.UInt32Value.of((int) Math.min(entry.getWeight(), 0xFFFF_FFFFL)));
        }
        return workload;
    }

    static boolean isDnsName(String name) {
        if (name == null) {
            return false;
        }
        String unqualified = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (unqualified.isEmpty() || unqualified.length() > 253) {
            return false;
        }
        for (String label : unqualified.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    private static Workload.Builder common(
            MeshSettings settings,
            String uid,
            String name,
            String namespace,
            String serviceAccount,
            Map<String, String> labels) {
        return Workload.newBuilder()
                .setUid(uid)
                .setName(name)
                .setNamespace(namespace)
                .setNetwork(settings.network())
                .setClusterId(settings.clusterId())
                .setServiceAccount(serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount)
                .setTrustDomain(settings.workloadTrustDomain())
                .setWorkloadName(name)
                .setCanonicalName(
                        labels.getOrDefault("service.istio.io/canonical-name", labels.getOrDefault("app", name)))
                .setCanonicalRevision(labels.getOrDefault(
                        "service.istio.io/canonical-revision", labels.getOrDefault("version", "latest")))
                .setStatus(WorkloadStatus.HEALTHY);
    }
}
