package io.ambientjava.ztunnel.inpod.statemanager;

import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.zds.NamespaceFds;
import io.ambientjava.zds.WorkloadHandler;
import io.ambientjava.ztunnel.inpod.PodInfo;
import io.ambientjava.ztunnel.inpod.PodState;
import io.ambientjava.ztunnel.inpod.netns.ErrnoException;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.proxy.PodName;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a {@link ZtunnelRuntime}'s pods from the node agent's ZDS requests. Called by the ZDS client on its own
 * (platform) thread, one request at a time, so it may wait for a pod's listeners; it never runs on an event loop.
 *
 * <ul>
 *   <li>AddWorkload: enrolls the pod in the namespace it was sent (ztunnel keeps a handle of its own), acked once
 *       the listeners are open and the first certificate attempt is over, or after the add timeout while that is
 *       still pending (the pod then serves once ready); nacked with the reason when the listeners cannot be
 *       opened. A pod already running in that very namespace (a replay) stays as it is; one running in another
 *       namespace is replaced.
 *   <li>DelWorkload: removes the pod; its listeners close at once and its connections drain in the background.
 *   <li>KeepWorkload: the pod stays (the agent could not send its namespace during a replay).
 *   <li>SnapshotSent: the replay after a (re)connect is over; every pod neither re-added nor kept in it is
 *       removed, including pods this runtime had before the ZDS client started.
 * </ul>
 */
public final class PodStateManager implements WorkloadHandler {

    private static final Logger log = LoggerFactory.getLogger(PodStateManager.class);

    /** Below the node agent's default ack timeout (5 s), so a slow start is acked before the agent gives up. */
    public static final Duration DEFAULT_ADD_TIMEOUT = Duration.ofSeconds(4);

    private final ZtunnelRuntime runtime;
    private final Duration addTimeout;
    private final CompletableFuture<Void> firstSnapshot = new CompletableFuture<>();
    private final Map<String, WorkloadInfo> infos = new ConcurrentHashMap<>();

    public PodStateManager(ZtunnelRuntime runtime, Duration addTimeout) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(addTimeout, "addTimeout");
        if (addTimeout.isZero() || addTimeout.isNegative()) {
            throw new IllegalArgumentException("addTimeout must be positive, was " + addTimeout);
        }
        this.addTimeout = addTimeout;
    }

    /** Completes when the first replay ended with SnapshotSent: from then on ztunnel serves every enrolled pod. */
    public CompletableFuture<Void> firstSnapshot() {
        return firstSnapshot.copy();
    }

    /** What the agent said about an enrolled pod (name, namespace, service account). */
    public Optional<WorkloadInfo> info(String uid) {
        return Optional.ofNullable(infos.get(uid));
    }

    /** Every pod the runtime serves (not draining), also those it had before this ZDS client existed. */
    @Override
    public Optional<Set<String>> enrolled() {
        Set<String> uids = new HashSet<>();
        for (PodInfo pod : runtime.pods()) {
            if (pod.state() != PodState.DRAINING) {
                uids.add(pod.uid());
            }
        }
        return Optional.of(uids);
    }

    @Override
    public Outcome add(String uid, WorkloadInfo info, int netnsFd) {
        Outcome outcome = enroll(uid, info, netnsFd);
        if (outcome.isOk()) {
            // Ours on success (the client closes it on failure); the runtime holds a handle of its own.
            NamespaceFds.close(netnsFd);
        }
        return outcome;
    }

    private Outcome enroll(String uid, WorkloadInfo info, int netnsFd) {
        NetworkNamespace netns;
        try {
            netns = NetworkNamespace.duplicate(netnsFd, "pod " + uid);
        } catch (IOException | IllegalArgumentException e) {
            return Outcome.failed("AddWorkload " + uid + ": " + e.getMessage());
        }
        Optional<PodInfo> existing = find(uid);
        if (existing.isPresent()) {
            Optional<String> refusal = makeRoomFor(existing.get(), netns);
            if (refusal.isPresent()) {
                close(netns);
                return refusal.get().isEmpty() ? accepted(uid, info) : Outcome.failed(refusal.get());
            }
        }
        CompletableFuture<Void> started = runtime.addPod(uid, podName(info), netns);
        try {
            started.get(addTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return Outcome.failed("AddWorkload " + uid + ": " + message(e.getCause()));
        } catch (TimeoutException e) {
            // Binding is quick; what takes long is the pod's first certificate (a slow or unreachable CA). Removing
            // the pod for that would cut its traffic for good, so ack and let it serve once the certificate is in.
            log.warn(
                    "pod {}: still starting after {} (its certificate, most likely); acking, it serves once ready",
                    uid,
                    addTimeout);
            started.whenComplete((ok, failure) -> {
                if (failure != null) {
                    log.warn("pod {} failed to start after it was acked: {}", uid, message(failure));
                } else {
                    log.info("pod {} enrolled over ZDS (late) in {}", uid, netns.id());
                }
            });
            return accepted(uid, info);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            runtime.removePod(uid, Duration.ZERO);
            return Outcome.failed("AddWorkload " + uid + ": interrupted (ztunnel is stopping)");
        }
        log.info("pod {} ({}/{}) enrolled over ZDS in {}", uid, info.getNamespace(), info.getName(), netns.id());
        return accepted(uid, info);
    }

    private Outcome accepted(String uid, WorkloadInfo info) {
        infos.put(uid, info);
        return Outcome.ok();
    }

    /**
     * Clears the way for a pod already known under this uid: an empty result means "go ahead and add", an empty
     * string "already running in that namespace, nothing to do", any other text the nack.
     */
    private Optional<String> makeRoomFor(PodInfo existing, NetworkNamespace netns) {
        String uid = existing.uid();
        boolean sameNetns = existing.netns().equals(netns.id());
        switch (existing.state()) {
            case RUNNING, STARTING -> {
                if (sameNetns) {
                    log.debug("pod {} is already enrolled in {}; keeping it", uid, netns.id());
                    return Optional.of("");
                }
                log.info(
                        "pod {} comes back in another namespace ({} -> {}); replacing it",
                        uid,
                        existing.netns(),
                        netns.id());
            }
            case DRAINING -> log.info("pod {} is added again while draining; waiting for the drain", uid);
            case FAILED -> {
                return Optional.empty();
            }
        }
        try {
            runtime.removePod(uid).get(addTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return Optional.empty();
        } catch (TimeoutException e) {
            return Optional.of("AddWorkload " + uid + ": the pod's earlier instance is still draining after "
                    + addTimeout + "; retry later");
        } catch (ExecutionException e) {
            return Optional.of(
                    "AddWorkload " + uid + ": removing its earlier instance failed: " + message(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("AddWorkload " + uid + ": interrupted (ztunnel is stopping)");
        }
    }

    @Override
    public Outcome delete(String uid) {
        infos.remove(uid);
        remove(uid, "DelWorkload");
        return Outcome.ok();
    }

    @Override
    public Outcome keep(String uid) {
        Optional<PodInfo> pod = find(uid);
        if (pod.isEmpty() || pod.get().state() == PodState.DRAINING) {
            return Outcome.failed("KeepWorkload " + uid + ": no such pod in this ztunnel, and without its network"
                    + " namespace it cannot be enrolled");
        }
        return Outcome.ok();
    }

    @Override
    public Outcome snapshotSent() {
        if (firstSnapshot.complete(null)) {
            log.info("first ZDS snapshot received: {} pod(s)", runtime.pods().size());
        }
        return Outcome.ok();
    }

    private void remove(String uid, String why) {
        log.info("removing pod {} ({})", uid, why);
        runtime.removePod(uid).whenComplete((ok, failure) -> {
            if (failure != null) {
                log.warn("pod {}: removal failed: {}", uid, message(failure));
            }
        });
    }

    private Optional<PodInfo> find(String uid) {
        List<PodInfo> pods = runtime.pods();
        return pods.stream().filter(p -> p.uid().equals(uid)).findFirst();
    }

    private static void close(NetworkNamespace netns) {
        try {
            netns.close();
        } catch (ErrnoException e) {
            log.warn("closing {} failed", netns, e);
        }
    }

    private static String message(Throwable failure) {
        return failure.getMessage() != null ? failure.getMessage() : failure.toString();
    }

    /** The pod's namespace and name from the agent's WorkloadInfo, when it sent both. */
    static Optional<PodName> podName(WorkloadInfo info) {
        if (info == null || info.getNamespace().isBlank() || info.getName().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new PodName(info.getNamespace(), info.getName()));
    }
}
