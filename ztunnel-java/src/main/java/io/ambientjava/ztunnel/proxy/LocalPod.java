package io.ambientjava.ztunnel.proxy;

import io.ambientjava.hbone.client.HboneClient;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.certs.WorkloadCertificates;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An enrolled pod as the proxies see it: its uid, where its sockets are made, its outbound HBONE pool, and its
 * identity. The identity is the store's workload with the pod's uid (or, failing that, with its namespace and name); its certificate is acquired the first time the
 * workload is seen and released when the pod leaves.
 */
public final class LocalPod {

    private static final Logger log = LoggerFactory.getLogger(LocalPod.class);

    private final String uid;
    private final Optional<PodName> name;
    private final PodSockets sockets;
    private final HboneClient hbone;
    private final WorkloadCertificates certificates;
    private final String defaultTrustDomain;
    private final AtomicReference<SpiffeId> acquired = new AtomicReference<>();
    private volatile boolean closed;

    public LocalPod(
            String uid,
            PodSockets sockets,
            HboneClient hbone,
            WorkloadCertificates certificates,
            String defaultTrustDomain) {
        this(uid, Optional.empty(), sockets, hbone, certificates, defaultTrustDomain);
    }

    /**
     * @param name the pod's namespace and name when known (from the node agent): the workload is found by it when no
     *     workload has the pod's uid, which is the case for Kubernetes pod UIDs
     */
    public LocalPod(
            String uid,
            Optional<PodName> name,
            PodSockets sockets,
            HboneClient hbone,
            WorkloadCertificates certificates,
            String defaultTrustDomain) {
        this.uid = Objects.requireNonNull(uid, "uid");
        this.name = Objects.requireNonNull(name, "name");
        this.sockets = Objects.requireNonNull(sockets, "sockets");
        this.hbone = Objects.requireNonNull(hbone, "hbone");
        this.certificates = Objects.requireNonNull(certificates, "certificates");
        this.defaultTrustDomain = Objects.requireNonNull(defaultTrustDomain, "defaultTrustDomain");
    }

    public String uid() {
        return uid;
    }

    public PodSockets sockets() {
        return sockets;
    }

    /** This pod's outbound HBONE connections. */
    public HboneClient hbone() {
        return hbone;
    }

    public Optional<Workload> workload(StateSnapshot snapshot) {
        return snapshot.workload(uid).or(() -> name.flatMap(n -> snapshot.workloadNamed(n.namespace(), n.name())));
    }

    /**
     * The SPIFFE ID of {@code workload} (this pod's workload), acquiring its certificate the first time it is seen.
     * Empty when the workload's names do not make a valid SPIFFE ID.
     */
    public Optional<SpiffeId> identity(Workload workload) {
        SpiffeId identity;
        try {
            identity = identityOf(workload, defaultTrustDomain);
        } catch (IllegalArgumentException e) {
            log.warn("pod {} has no valid identity: {}", uid, e.getMessage());
            return Optional.empty();
        }
        SpiffeId previous = acquired.get();
        if (!identity.equals(previous) && !closed && acquired.compareAndSet(previous, identity)) {
            certificates.acquire(identity).exceptionally(error -> {
                log.warn("no certificate yet for pod {} ({}): {}", uid, identity, error.getMessage());
                return null;
            });
            if (previous != null) {
                certificates.release(previous);
            }
        }
        return Optional.of(identity);
    }

    /** The identity this pod acquired a certificate for, if any. */
    public Optional<SpiffeId> acquiredIdentity() {
        return Optional.ofNullable(acquired.get());
    }

    /** The SPIFFE ID of any workload. */
    public static SpiffeId identityOf(Workload workload, String defaultTrustDomain) {
        String trustDomain = workload.trustDomain().isEmpty() ? defaultTrustDomain : workload.trustDomain();
        String serviceAccount =
                workload.serviceAccount().isEmpty() ? Workload.DEFAULT_SERVICE_ACCOUNT : workload.serviceAccount();
        return new SpiffeId(trustDomain, workload.namespace(), serviceAccount);
    }

    /** Whether the pod left; connections that open now are closed at once. */
    public boolean isClosed() {
        return closed;
    }

    /** Marks the pod gone and releases its certificate. */
    public void close() {
        closed = true;
        SpiffeId identity = acquired.getAndSet(null);
        if (identity != null) {
            certificates.release(identity);
        }
    }

    @Override
    public String toString() {
        return "pod " + uid;
    }
}
