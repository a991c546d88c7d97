package io.ambientjava.cni.agent.kubernetes;

import io.ambientjava.cni.CniPod;
import io.ambientjava.cni.agent.KnownPod;
import io.ambientjava.cni.agent.NodeAgent;
import io.ambientjava.cni.agent.podstate.EnrollmentPolicy;
import io.ambientjava.zds.ZdsException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node agent in step with the API server:
 *
 * <ul>
 *   <li>every view goes to {@link NodeAgent#usePodState}, so label changes on pods and namespaces enroll and
 *       unenroll the pods the agent knows;
 *   <li>a deleted pod is taken out ({@link NodeAgent#remove});
 *   <li>a pod the agent has never heard of (it was created before the agent ran, or while it was down) that the
 *       labels put in the mesh is found on the host ({@link PodNetnsLocator}) and enrolled as if the runtime had
 *       reported it. A pod whose netns is not found is tried again when its addresses change or on
 *       {@link #retryMissing}.
 * </ul>
 */
public final class KubernetesPodSync implements KubernetesPodSource.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesPodSync.class);

    private final NodeAgent agent;
    private final PodNetnsLocator locator;
    // Pods whose netns was looked for and not found, with the addresses they had then. Source thread only.
    private final Map<String, List<String>> missing = new HashMap<>();
    private NodePods last = NodePods.EMPTY;

    public KubernetesPodSync(NodeAgent agent, PodNetnsLocator locator) {
        this.agent = Objects.requireNonNull(agent, "agent");
        this.locator = Objects.requireNonNull(locator, "locator");
    }

    @Override
    public void changed(NodePods view) {
        last = view;
        agent.usePodState(view.state());
        discover(view);
    }

    @Override
    public void deleted(ScheduledPod pod) {
        missing.remove(pod.uid());
        if (pod.uid().isEmpty()) {
            return;
        }
        boolean known = agent.knownPods().stream().anyMatch(k -> k.uid().equals(pod.uid()));
        if (!known) {
            return;
        }
        LOG.info("pod {} was deleted; taking it out", pod);
        try {
            agent.remove(pod.uid()).whenComplete((ok, failure) -> logZds("remove", pod, failure));
        } catch (RuntimeException e) {
            LOG.warn("pod {}: taking it out failed: {}", pod, e.getMessage());
        }
    }

    /** Looks again for the pods whose netns was not found before. Call on the source's thread. */
    public void retryMissing() {
        missing.clear();
        discover(last);
    }

    private void discover(NodePods view) {
        missing.keySet().retainAll(view.pods().keySet());
        Set<String> known = agent.knownPods().stream().map(KnownPod::uid).collect(Collectors.toSet());
        for (ScheduledPod pod : view.pods().values()) {
            if (pod.uid().isEmpty() || known.contains(pod.uid()) || !pod.wired()) {
                continue;
            }
            if (pod.ips().equals(missing.get(pod.uid()))) {
                continue; // looked for with these addresses already
            }
            EnrollmentPolicy.Decision decision = EnrollmentPolicy.decide(view.state(), pod.namespace(), pod.name());
            if (!decision.enrolled()) {
                continue;
            }
            Optional<Path> netns = locator.find(pod);
            if (netns.isEmpty()) {
                LOG.warn(
                        "pod {} ({}) belongs in the mesh ({}), but its network namespace is not on this host yet",
                        pod,
                        pod.ips(),
                        decision.reason());
                missing.put(pod.uid(), pod.ips());
                continue;
            }
            missing.remove(pod.uid());
            LOG.info("pod {} started before the agent knew it; found its netns at {}", pod, netns.get());
            try {
                CompletableFuture<Void> acked = agent.podAdded(
                        new CniPod(pod.uid(), pod.name(), pod.namespace(), pod.serviceAccount(), "", netns.get()));
                acked.whenComplete((ok, failure) -> logZds("enroll", pod, failure));
            } catch (RuntimeException e) {
                // one pod's failure must not keep the others out; this one is tried again on the next look
                LOG.error("pod {}: cannot enroll it: {}", pod, e.getMessage());
                missing.put(pod.uid(), pod.ips());
            }
        }
    }

    private static void logZds(String what, ScheduledPod pod, Throwable failure) {
        if (failure == null) {
            return;
        }
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ZdsException zds && zds.kind() == ZdsException.Kind.NOT_CONNECTED) {
            LOG.info("{} pod {}: no ztunnel connected; it gets the pod in its snapshot", what, pod);
        } else {
            LOG.warn("{} pod {}: {}", what, pod, cause.getMessage());
        }
    }
}
