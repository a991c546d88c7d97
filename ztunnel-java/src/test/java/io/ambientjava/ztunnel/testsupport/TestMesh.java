package io.ambientjava.ztunnel.testsupport;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.manager.CertificateProvider;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.ztunnel.dns.DnsSettings;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Match;
import io.ambientjava.ztunnel.state.policy.Rule;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A mesh in network namespaces for tests: one in-process {@link ZtunnelRuntime} per node of a {@link NetnsTopology}
 * (each enrolls only its own node's pods), one shared workload store and mesh CA, and a {@link RecordingObserver}
 * per ztunnel. Runtimes are closed at the topology's teardown, before the namespaces go.
 */
public final class TestMesh {

    public static final String TRUST_DOMAIN = "cluster.local";
    public static final Duration WAIT = Duration.ofSeconds(10);
    private static final MeshCertificateAuthority CA = MeshCertificateAuthority.createSelfSigned(TRUST_DOMAIN);

    private final NetnsTopology net;
    private final WorkloadStore store = new WorkloadStore();
    private final CertificateProvider certificates;
    private final UnaryOperator<ZtunnelRuntimeConfig> configure;
    private final Map<Integer, ZtunnelRuntime> runtimes = new HashMap<>();
    private final Map<Integer, RecordingObserver> observers = new HashMap<>();
    private DnsSettings dns = DnsSettings.DISABLED;

    public TestMesh(NetnsTopology net) {
        this(net, new LocalCaCertificateProvider(CA), config -> config);
    }

    public TestMesh(
            NetnsTopology net, CertificateProvider certificates, UnaryOperator<ZtunnelRuntimeConfig> configure) {
        this.net = net;
        this.certificates = certificates;
        this.configure = configure;
    }

    public static MeshCertificateAuthority ca() {
        return CA;
    }

    public WorkloadStore store() {
        return store;
    }

    /** The DNS settings of ztunnels started from now on (upstreams for endpoints known by name, capture). */
    public synchronized TestMesh withDns(DnsSettings value) {
        dns = value;
        return this;
    }

    /** The ztunnel of node {@code index}, started on first use. */
    public synchronized ZtunnelRuntime ztunnel(int index) {
        return runtimes.computeIfAbsent(index, n -> {
            RecordingObserver observer = new RecordingObserver();
            observers.put(n, observer);
            ZtunnelRuntimeConfig config = ZtunnelRuntimeConfig.of(
                            "node" + n, TRUST_DOMAIN, store, certificates, observer)
                    .withDrainTimeout(Duration.ofMillis(500))
                    .withConnectTimeout(Duration.ofSeconds(3));
            return net.onTeardown(ZtunnelRuntime.start(configure.apply(config), dns));
        });
    }

    public synchronized RecordingObserver observer(int index) {
        ztunnel(index);
        return observers.get(index);
    }

    public static String uid(String namespace, String name) {
        return "Kubernetes//Pod/" + namespace + "/" + name;
    }

    /** A workload for {@code pod}, HBONE, in the default trust domain. */
    public static Workload.Builder workload(Pod pod, String namespace, String serviceAccount) {
        return Workload.builder(uid(namespace, pod.name()), namespace)
                .name(pod.name())
                .serviceAccount(serviceAccount)
                .trustDomain(TRUST_DOMAIN)
                .addresses(pod.ip().getHostAddress())
                .protocol(Protocol.HBONE)
                .node(pod.node().name())
                .workloadName(pod.name())
                .workloadType("deployment")
                .canonicalName(pod.name())
                .canonicalRevision("v1");
    }

    /**
     * A pod in the mesh on node {@code node}: its namespace with the in-pod redirection, its workload in the store,
     * enrolled with that node's ztunnel.
     */
    public Pod meshPod(int node, String name, String namespace, String serviceAccount) throws Exception {
        return meshPod(node, name, workload -> {}, namespace, serviceAccount);
    }

    public Pod meshPod(
            int node,
            String name,
            java.util.function.Consumer<Workload.Builder> customize,
            String namespace,
            String serviceAccount)
            throws Exception {
        Pod pod = net.node(node).addPod(name);
        InPodRedirection.install(pod);
        Workload.Builder builder = workload(pod, namespace, serviceAccount);
        customize.accept(builder);
        store.upsert(builder.build());
        enroll(node, pod, uid(namespace, name));
        return pod;
    }

    /** Hands {@code pod}'s namespace to node {@code node}'s ztunnel as {@code uid}. */
    public void enroll(int node, Pod pod, String uid) throws Exception {
        ztunnel(node).addPod(uid, NetworkNamespace.open(pod.netnsPath())).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** A pod outside the mesh: no redirection, no workload. */
    public Pod outsidePod(int node, String name) {
        return net.node(node).addPod(name);
    }

    public void add(Service service) {
        store.upsert(service);
    }

    /** Istio's STRICT PeerAuthentication as istiod translates it: deny connections without a principal. */
    public static Authorization strictMtls() {
        return new Authorization(
                "istio_converted_static_strict",
                "istio-system",
                Authorization.Scope.WORKLOAD_SELECTOR,
                Authorization.Action.DENY,
                List.of(Rule.of(
                        Match.builder().notPrincipals(StringMatch.presence()).build())),
                false);
    }

    public void add(Authorization policy) {
        store.upsert(policy);
    }

    /**
     * Connects from {@code from} to {@code to}, sends {@code payload}, half-closes, and returns everything read
     * until the server's FIN.
     */
    public static byte[] exchange(Pod from, InetSocketAddress to, byte[] payload) throws Exception {
        try (Socket socket = from.connect(to)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(payload);
            socket.shutdownOutput();
            return readAll(socket.getInputStream());
        }
    }

    public static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}
