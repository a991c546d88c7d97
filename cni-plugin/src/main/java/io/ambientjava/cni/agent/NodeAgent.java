package io.ambientjava.cni.agent;

import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.cni.CniPod;
import io.ambientjava.cni.agent.podstate.EnrollmentPolicy;
import io.ambientjava.cni.agent.podstate.PodState;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.cni.redirect.RedirectionException;
import io.ambientjava.zds.ZdsException;
import io.ambientjava.zds.ZdsServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's pod enrollment, in Istio's order: redirection inside the pod first, then ztunnel is told
 * over ZDS. A redirection failure leaves the pod out entirely; a ZDS failure (nack, no ztunnel) leaves the pod
 * enrolled with its rules in place, so it is in the next snapshot and a retried enrollment just repeats both
 * idempotent steps. Removal takes the rules out (when the netns still exists) and tells ztunnel.
 *
 * <p>The agent remembers every pod the runtime reported ({@link KnownPod}), in the mesh or not, so label changes
 * can enroll and unenroll running pods ({@link #usePodState}); with a {@link KnownPodsFile} it keeps that memory
 * across its own restarts ({@link #restore}). Without pod state (no source configured) every reported pod is
 * enrolled.
 */
public final class NodeAgent {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);

    private final ZdsServer zds;
    private final PodRedirector redirector;
    private final KnownPodsFile stateFile;
    private final Object lock = new Object();
    // Guarded by lock.
    private final Map<String, KnownPod> known = new LinkedHashMap<>();
    private PodState podState;

    /** What {@link #restore} found: pods kept (netns still there) and pods cleaned up (netns gone). */
    public record Restored(List<String> kept, List<String> removed) {}

    public NodeAgent(ZdsServer zds, PodRedirector redirector) {
        this(zds, redirector, null);
    }

    /** With {@code stateFile} (may be null) saving the known pods on every change. */
    public NodeAgent(ZdsServer zds, PodRedirector redirector, KnownPodsFile stateFile) {
        this.zds = Objects.requireNonNull(zds, "zds");
        this.redirector = Objects.requireNonNull(redirector, "redirector");
        this.stateFile = stateFile;
    }

    /**
     * Enrolls a pod. Throws {@link RedirectionException} when the rules cannot be installed; the returned future
     * completes when ztunnel acks, or fails with ztunnel's nack or {@code NOT_CONNECTED}.
     */
    public CompletableFuture<Void> enroll(String uid, WorkloadInfo info, Path netns) {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(netns, "netns");
        requireUid(uid);
        synchronized (lock) {
            KnownPod previous = known.get(uid);
            KnownPod pod = new KnownPod(
                    uid,
                    info.getName(),
                    info.getNamespace(),
                    info.getServiceAccount(),
                    previous == null ? "" : previous.containerId(),
                    netns,
                    true);
            return enrollLocked(pod);
        }
    }

    /**
     * A pod the runtime just created (CNI ADD): enrolled when the pod state says so (always without pod state),
     * otherwise only remembered. The future completes at once for a pod left out.
     */
    public CompletableFuture<Void> podAdded(CniPod pod) {
        requireUid(pod.uid());
        Objects.requireNonNull(pod.netns(), "netns");
        synchronized (lock) {
            KnownPod candidate = new KnownPod(
                    pod.uid(),
                    pod.name(),
                    pod.namespace(),
                    pod.serviceAccount(),
                    pod.containerId(),
                    pod.netns(),
                    false);
            candidate = withStateServiceAccount(candidate);
            EnrollmentPolicy.Decision decision = decide(candidate);
            if (decision.enrolled()) {
                LOG.info("pod {}/{} ({}) enrolled: {}", pod.namespace(), pod.name(), pod.uid(), decision.reason());
                return enrollLocked(candidate.withEnrolled(true));
            }
            LOG.info("pod {}/{} ({}) left out: {}", pod.namespace(), pod.name(), pod.uid(), decision.reason());
            KnownPod previous = known.get(pod.uid());
            if (previous != null && previous.enrolled()) {
                unenrollLocked(previous);
            }
            known.put(pod.uid(), candidate);
            save();
            return CompletableFuture.completedFuture(null);
        }
    }

    /**
     * Takes a pod out of the mesh and forgets it; unknown pods are fine (DEL may come more than once). When the
     * pod's netns is already gone (the pod was deleted), only ztunnel is told.
     */
    public CompletableFuture<Void> remove(String uid) {
        synchronized (lock) {
            KnownPod pod = known.remove(uid);
            save();
            if (pod == null) {
                LOG.debug("pod {} was not known", uid);
                return zds.removePod(uid);
            }
            if (!pod.enrolled()) {
                return CompletableFuture.completedFuture(null);
            }
            return unenrollLocked(pod);
        }
    }

    /**
     * New pod state (labels changed): known pods whose verdict changed are enrolled or unenrolled now. Failures
     * are logged; the pod keeps its old standing and is tried again on the next change.
     */
    public void usePodState(PodState state) {
        Objects.requireNonNull(state, "state");
        synchronized (lock) {
            podState = state;
            for (KnownPod pod : List.copyOf(known.values())) {
                KnownPod current = withStateServiceAccount(pod);
                EnrollmentPolicy.Decision decision = decide(current);
                if (decision.enrolled() == pod.enrolled()) {
                    continue;
                }
                try {
                    if (decision.enrolled()) {
                        LOG.info("enrolling running pod {}/{}: {}", pod.namespace(), pod.name(), decision.reason());
                        enrollLocked(current.withEnrolled(true)).whenComplete((ok, e) -> logZds("enroll", pod, e));
                    } else {
                        LOG.info("unenrolling pod {}/{}: {}", pod.namespace(), pod.name(), decision.reason());
                        unenrollLocked(pod).whenComplete((ok, e) -> logZds("unenroll", pod, e));
                        known.put(pod.uid(), pod.withEnrolled(false));
                        save();
                    }
                } catch (RuntimeException e) {
                    LOG.error("pod {}/{}: cannot change enrollment: {}", pod.namespace(), pod.name(), e.getMessage());
                }
            }
        }
    }

    /**
     * After the agent's own restart, before ztunnel can connect: pods whose netns still exists are known again,
     * and the enrolled ones handed to the ZDS server with their rules untouched (so ztunnel's snapshot keeps
     * them); pods whose netns vanished are dropped (their rules went with the netns; ztunnel is told, or simply
     * not sent them in its snapshot).
     */
    public Restored restore(List<KnownPod> saved) {
        List<String> kept = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        synchronized (lock) {
            for (KnownPod pod : saved) {
                if (Files.exists(pod.netns())) {
                    known.put(pod.uid(), pod);
                    kept.add(pod.uid());
                    if (pod.enrolled()) {
                        zds.addPod(pod.uid(), info(pod), pod.netns())
                                .whenComplete((ok, e) -> logZds("re-send", pod, e));
                    }
                } else {
                    removed.add(pod.uid());
                    if (pod.enrolled()) {
                        zds.removePod(pod.uid()).whenComplete((ok, e) -> logZds("remove orphaned", pod, e));
                    }
                }
            }
            save();
        }
        LOG.info("restored {} pods ({} gone while the agent was down: {})", kept.size(), removed.size(), removed);
        return new Restored(kept, removed);
    }

    /** The enrolled pods by uid. */
    public Map<String, EnrolledPod> pods() {
        synchronized (lock) {
            Map<String, EnrolledPod> enrolled = new LinkedHashMap<>();
            known.values().stream()
                    .filter(KnownPod::enrolled)
                    .forEach(pod -> enrolled.put(pod.uid(), new EnrolledPod(pod.uid(), info(pod), pod.netns())));
            return Map.copyOf(enrolled);
        }
    }

    /** Every pod the agent knows, in the mesh or not. */
    public List<KnownPod> knownPods() {
        synchronized (lock) {
            return List.copyOf(known.values());
        }
    }

    private CompletableFuture<Void> enrollLocked(KnownPod pod) {
        redirector.apply(pod.netns());
        known.put(pod.uid(), pod);
        save();
        LOG.info(
                "pod {} ({}/{}) redirected in {}; telling ztunnel",
                pod.uid(),
                pod.namespace(),
                pod.name(),
                pod.netns());
        return zds.addPod(pod.uid(), info(pod), pod.netns());
    }

    private CompletableFuture<Void> unenrollLocked(KnownPod pod) {
        if (Files.exists(pod.netns())) {
            redirector.remove(pod.netns());
        } else {
            LOG.info("netns {} of pod {} is gone; no rules to remove", pod.netns(), pod.uid());
        }
        return zds.removePod(pod.uid());
    }

    private EnrollmentPolicy.Decision decide(KnownPod pod) {
        if (podState == null) {
            return new EnrollmentPolicy.Decision(true, "no pod state source: every pod is enrolled");
        }
        return EnrollmentPolicy.decide(podState, pod.namespace(), pod.name());
    }

    private KnownPod withStateServiceAccount(KnownPod pod) {
        if (podState == null) {
            return pod;
        }
        return podState.pod(pod.namespace(), pod.name())
                .map(PodState.PodMeta::serviceAccount)
                .filter(sa -> !sa.isEmpty())
                .map(pod::withServiceAccount)
                .orElse(pod);
    }

    private void save() {
        if (stateFile == null) {
            return;
        }
        try {
            stateFile.write(known.values());
        } catch (IOException e) {
            LOG.error("cannot save pod state to {}: {}", stateFile.path(), e.toString());
        }
    }

    private static WorkloadInfo info(KnownPod pod) {
        return WorkloadInfo.newBuilder()
                .setName(pod.name())
                .setNamespace(pod.namespace())
                .setServiceAccount(pod.serviceAccount())
                .build();
    }

    private static void logZds(String what, KnownPod pod, Throwable failure) {
        if (failure == null) {
            return;
        }
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ZdsException zds && zds.kind() == ZdsException.Kind.NOT_CONNECTED) {
            LOG.info(
                    "{} pod {}/{}: no ztunnel connected; it gets the pod in its snapshot",
                    what,
                    pod.namespace(),
                    pod.name());
        } else {
            LOG.warn("{} pod {}/{}: {}", what, pod.namespace(), pod.name(), cause.getMessage());
        }
    }

    private static void requireUid(String uid) {
        if (uid == null || uid.isBlank()) {
            throw new IllegalArgumentException("pod uid must not be blank");
        }
    }
}
