package io.ambientjava.meshctl.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.ambientjava.meshctl.MeshctlException;
import io.ambientjava.meshctl.kube.KubeErrors;
import io.ambientjava.meshctl.kube.KubeOptions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.net.URI;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where a proxy's admin endpoint (port 15000) is: an address given directly ({@code --admin-address}, the local
 * mesh), or a pod in a cluster reached through a port forward ({@code --pod}, or the ztunnel on {@code --node}).
 */
public final class AdminOptions {

    public static final int ADMIN_PORT = 15000;

    @ArgGroup(exclusive = true)
    Where where = new Where();

    static final class Where {
        @Option(
                names = "--admin-address",
                paramLabel = "HOST:PORT",
                description = "The admin endpoint to read (default: 127.0.0.1:15000 when no --pod or --node is given).")
        String adminAddress;

        @Option(
                names = "--pod",
                paramLabel = "NAME",
                description = "Read the admin endpoint of this pod through a port forward.")
        String pod;

        @Option(
                names = "--node",
                paramLabel = "NODE",
                description =
                        "Read the ztunnel running on this node (pods labelled app=ztunnel) through a port forward.")
        String node;
    }

    @Option(
            names = {"-n", "--namespace"},
            defaultValue = "istio-system",
            description = "Namespace of --pod / of the ztunnel DaemonSet (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Mixin
    KubeOptions kube;

    /** An open way to the admin endpoint; closing it ends any port forward. */
    public static final class Endpoint implements AutoCloseable {
        private final URI baseUri;
        private final LocalPortForward forward;
        private final String pod;
        private final Runnable closer;

        Endpoint(URI baseUri, LocalPortForward forward, String pod, Runnable closer) {
            this.baseUri = baseUri;
            this.forward = forward;
            this.pod = pod;
            this.closer = closer;
        }

        public URI baseUri() {
            return baseUri;
        }

        /** GETs a JSON page; through a port forward, a failure names the pod and the forward's own error. */
        public JsonNode getJson(String path) {
            try {
                return new AdminClient(baseUri).getJson(path);
            } catch (MeshctlException e) {
                if (forward == null) {
                    throw e;
                }
                String cause = forward.getServerThrowables().stream()
                        .map(t -> t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage())
                        .findFirst()
                        .orElse(e.getMessage());
                throw new MeshctlException(
                        "reading " + path + " of pod " + pod + " through a port forward to " + ADMIN_PORT + " failed: "
                                + cause,
                        e);
            }
        }

        @Override
        public void close() {
            closer.run();
        }
    }

    public Endpoint open() {
        if (where.pod == null && where.node == null) {
            URI uri = parseAddress(where.adminAddress == null ? "127.0.0.1:" + ADMIN_PORT : where.adminAddress);
            return new Endpoint(uri, null, null, () -> {});
        }
        KubernetesClient client = kube.client();
        try {
            String podName = where.pod != null ? where.pod : ztunnelOnNode(client, where.node);
            LocalPortForward forward =
                    client.pods().inNamespace(namespace).withName(podName).portForward(ADMIN_PORT);
            URI uri = URI.create("http://127.0.0.1:" + forward.getLocalPort());
            return new Endpoint(uri, forward, namespace + "/" + podName, () -> {
                try {
                    forward.close();
                } catch (IOException e) {
                    // The forward is gone either way.
                }
                client.close();
            });
        } catch (KubernetesClientException e) {
            client.close();
            throw KubeErrors.explain(e, "port-forwarding to the admin port", kube);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private String ztunnelOnNode(KubernetesClient client, String node) {
        List<Pod> pods = client.pods()
                .inNamespace(namespace)
                .withLabel("app", "ztunnel")
                .list()
                .getItems();
        return pods.stream()
                .filter(p -> node.equals(p.getSpec().getNodeName()))
                .map(p -> p.getMetadata().getName())
                .min(Comparator.naturalOrder())
                .orElseThrow(() -> new MeshctlException(
                        "no ztunnel pod (app=ztunnel) on node " + node + " in namespace " + namespace));
    }

    /** {@code host:port} (IPv6 in brackets) to {@code http://host:port}. */
    static URI parseAddress(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new MeshctlException("--admin-address '" + address + "' is not HOST:PORT");
        }
        String port = address.substring(colon + 1);
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new MeshctlException("--admin-address '" + address + "': port '" + port + "' is not a number");
        }
        if (number < 1 || number > 65535) {
            throw new MeshctlException("--admin-address '" + address + "': port " + number + " is not in 1..65535");
        }
        try {
            return new URI("http://" + address);
        } catch (java.net.URISyntaxException e) {
            throw new MeshctlException("--admin-address '" + address + "' is not HOST:PORT");
        }
    }
}
