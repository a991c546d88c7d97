package io.ambientjava.istiod.translate;

import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.api.workload.WorkloadStatus;
import java.net.InetAddress;
import java.util.Map;

/**
 * A workload that is no pod (a ServiceEntry endpoint, a WorkloadEntry): one address, no HBONE (ztunnel connects to
 * it directly), its service account ({@code default} when none is given), and canonical name and revision from its
 * labels as for pods ({@code app}, {@code version}), else its name and {@code latest}.
 */
final class OutsideWorkloads {

    private OutsideWorkloads() {}

    static Workload.Builder builder(
            MeshSettings settings,
            String uid,
            String name,
            String namespace,
            InetAddress ip,
            String serviceAccount,
            Map<String, String> labels) {
        return Workload.newBuilder()
                .setUid(uid)
                .setName(name)
                .setNamespace(namespace)
                .addAddresses(ByteString.copyFrom(ip.getAddress()))
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
