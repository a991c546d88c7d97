package io.ambientjava.ztunnel.runtime;

import io.ambientjava.ztunnel.certs.CertificateInfo;
import io.ambientjava.ztunnel.inpod.PodInfo;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.proxy.LiveConnection;
import io.ambientjava.ztunnel.state.StateSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One ztunnel: the data path for the pods of one node. Pods are added with their network namespace; ztunnel then
 * listens inside each (outbound, inbound plaintext, inbound HBONE) and proxies their connections.
 *
 * <p>Skeleton: the signatures are final, the data path is being built behind them.
 */
public final class ZtunnelRuntime implements AutoCloseable {

    private final ZtunnelRuntimeConfig config;

    private ZtunnelRuntime(ZtunnelRuntimeConfig config) {
        this.config = config;
    }

    /** Starts the event loops and the certificate manager; call from a thread in ztunnel's own namespace. */
    public static ZtunnelRuntime start(ZtunnelRuntimeConfig config) {
        Objects.requireNonNull(config, "config");
        return new ZtunnelRuntime(config);
    }

    public ZtunnelRuntimeConfig config() {
        return config;
    }

    /**
     * Enrolls a pod: opens its listeners inside {@code netns}. The runtime owns {@code netns} from here and closes
     * it when the pod is removed. Completes when the listeners are open; fails (and leaves no trace) when they
     * cannot be opened or a pod with this uid is already enrolled.
     */
    public CompletableFuture<Void> addPod(String uid, NetworkNamespace netns) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("not built yet"));
    }

    /**
     * Removes a pod: closes its listeners at once, lets its connections finish for up to the configured drain
     * timeout, then closes what is left. Completes when all are closed; an unknown uid completes at once.
     */
    public CompletableFuture<Void> removePod(String uid) {
        return CompletableFuture.completedFuture(null);
    }

    /** The enrolled pods. */
    public List<PodInfo> pods() {
        return List.of();
    }

    /** The workload state the data path currently uses. */
    public StateSnapshot snapshot() {
        return config.store().snapshot();
    }

    /** The certificates of the local identities. */
    public List<CertificateInfo> certificates() {
        return List.of();
    }

    /** The open proxied connections with their byte counts. */
    public List<LiveConnection> connections() {
        return List.of();
    }

    /**
     * Stops accepting on every listener, lets open connections finish until {@code timeout}, then closes the rest.
     * Afterwards the runtime is not ready and accepts no new pods.
     */
    public CompletableFuture<Void> drain(Duration timeout) {
        return CompletableFuture.completedFuture(null);
    }

    /** Whether ztunnel serves traffic: started, not draining, and every enrolled pod's listeners open. */
    public boolean isReady() {
        return false;
    }

    /** Closes every listener and connection now and stops the event loops. */
    @Override
    public void close() {}
}
