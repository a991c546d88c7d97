package io.ambientjava.ztunnel.app;

import io.ambientjava.ztunnel.certs.CertificateInfo;
import io.ambientjava.ztunnel.inpod.PodInfo;
import io.ambientjava.ztunnel.inpod.PodState;
import io.ambientjava.ztunnel.proxy.LiveConnection;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.status.ActiveConnection;
import io.ambientjava.ztunnel.status.CertificateStatus;
import io.ambientjava.ztunnel.status.PodStatus;
import io.ambientjava.ztunnel.status.Readiness;
import io.ambientjava.ztunnel.status.ZtunnelStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/** The operations view of a {@link ZtunnelRuntime}. */
final class RuntimeStatus implements ZtunnelStatus {

    private final ZtunnelRuntime runtime;
    private final Map<String, Path> netnsPaths = new ConcurrentHashMap<>();
    private volatile String shuttingDown;
    private final List<Supplier<Optional<String>>> notReadyChecks = new CopyOnWriteArrayList<>();

    RuntimeStatus(ZtunnelRuntime runtime) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
    }

    /** Remembers where a pod's namespace file is, for the dump (the runtime knows only the namespace). */
    void podAdded(String uid, Path netns) {
        netnsPaths.put(uid, netns);
    }

    void podRemoved(String uid) {
        netnsPaths.remove(uid);
    }

    /**
     * Readiness also waits for something outside the runtime: {@code check} names what is missing, or is empty once
     * it is there (as upstream ztunnel holds readiness until workload xDS has synced and, in ZDS mode, until the
     * node agent's first pod snapshot). Checks add up; the first one failing is reported.
     */
    void require(Supplier<Optional<String>> check) {
        notReadyChecks.add(Objects.requireNonNull(check, "check"));
    }

    /** From now on readiness reports this reason. */
    void shuttingDown(String reason) {
        shuttingDown = reason;
    }

    @Override
    public String nodeName() {
        return runtime.config().nodeName();
    }

    @Override
    public String trustDomain() {
        return runtime.config().trustDomain();
    }

    @Override
    public StateSnapshot snapshot() {
        return runtime.snapshot();
    }

    @Override
    public List<CertificateStatus> certificates() {
        return runtime.certificates().stream().map(RuntimeStatus::certificate).toList();
    }

    private static CertificateStatus certificate(CertificateInfo c) {
        CertificateStatus.State state = switch (c.state()) {
            case AVAILABLE -> CertificateStatus.State.AVAILABLE;
            case INITIALIZING -> CertificateStatus.State.INITIALIZING;
            case UNAVAILABLE -> CertificateStatus.State.UNAVAILABLE;
        };
        if (state == CertificateStatus.State.AVAILABLE && c.chain().isEmpty()) {
            state = CertificateStatus.State.INITIALIZING;
        }
        List<java.security.cert.X509Certificate> chain =
                state == CertificateStatus.State.AVAILABLE ? c.chain() : List.of();
        return new CertificateStatus(c.identity().toString(), state, chain, c.error());
    }

    @Override
    public List<ActiveConnection> connections() {
        return runtime.connections().stream().map(RuntimeStatus::connection).toList();
    }

    private static ActiveConnection connection(LiveConnection c) {
        return new ActiveConnection(c.info(), c.podUid(), c.sentBytes(), c.receivedBytes());
    }

    @Override
    public List<PodStatus> pods() {
        return runtime.pods().stream().map(this::pod).toList();
    }

    private PodStatus pod(PodInfo p) {
        Path path = netnsPaths.get(p.uid());
        String state = p.state().name().toLowerCase(Locale.ROOT)
                + p.error().map(e -> ": " + e).orElse("");
        return new PodStatus(p.uid(), path != null ? path.toString() : p.netns().toString(), state);
    }

    @Override
    public Readiness readiness() {
        String reason = shuttingDown;
        if (reason != null) {
            return Readiness.notReady(reason);
        }
        for (Supplier<Optional<String>> check : notReadyChecks) {
            Optional<String> missing = check.get();
            if (missing.isPresent()) {
                return Readiness.notReady(missing.get());
            }
        }
        if (runtime.isReady()) {
            return Readiness.READY;
        }
        for (PodInfo pod : runtime.pods()) {
            if (pod.state() == PodState.FAILED) {
                return Readiness.notReady(
                        "pod " + pod.uid() + " failed: " + pod.error().orElse("unknown error"));
            }
            if (pod.state() == PodState.STARTING) {
                return Readiness.notReady("pod " + pod.uid() + " is starting");
            }
        }
        return Readiness.notReady("the proxy is not serving yet");
    }
}
