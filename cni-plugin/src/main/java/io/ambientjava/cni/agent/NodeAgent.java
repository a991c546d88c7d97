package io.ambientjava.cni.agent;

import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.cni.redirect.RedirectionException;
import io.ambientjava.zds.ZdsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's pod enrollment, in Istio's order: redirection inside the pod first, then ztunnel is told
 * over ZDS. A redirection failure leaves the pod out entirely; a ZDS failure (nack, no ztunnel) leaves the pod
 * enrolled with its rules in place, so it is in the next snapshot and a retried enrollment just repeats both
 * idempotent steps. Removal takes the rules out (when the netns still exists) and tells ztunnel.
 */
public final class NodeAgent {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);

    private final ZdsServer zds;
    private final PodRedirector redirector;
    private final Map<String, EnrolledPod> pods = new ConcurrentHashMap<>();

    public NodeAgent(ZdsServer zds, PodRedirector redirector) {
        this.zds = Objects.requireNonNull(zds, "zds");
        this.redirector = Objects.requireNonNull(redirector, "redirector");
    }

    /**
     * Enrolls a pod. Throws {@link RedirectionException} when the rules cannot be installed; the returned future
     * completes when ztunnel acks, or fails with ztunnel's nack or {@code NOT_CONNECTED}.
     */
    public CompletableFuture<Void> enroll(String uid, WorkloadInfo info, Path netns) {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(netns, "netns");
        if (uid == null || uid.isBlank()) {
            throw new IllegalArgumentException("pod uid must not be blank");
        }
        redirector.apply(netns);
        pods.put(uid, new EnrolledPod(uid, info, netns));
        LOG.info("pod {} ({}/{}) redirected in {}; telling ztunnel", uid, info.getNamespace(), info.getName(), netns);
        return zds.addPod(uid, info, netns);
    }

    /**
     * Takes a pod out of the mesh; unknown pods are fine (DEL may come more than once). When the pod's netns is
     * already gone (the pod was deleted), only ztunnel is told.
     */
    public CompletableFuture<Void> remove(String uid) {
        EnrolledPod pod = pods.remove(uid);
        if (pod == null) {
            LOG.debug("pod {} was not enrolled", uid);
            return zds.removePod(uid);
        }
        if (Files.exists(pod.netns())) {
            redirector.remove(pod.netns());
        } else {
            LOG.info("netns {} of pod {} is gone; no rules to remove", pod.netns(), uid);
        }
        return zds.removePod(uid);
    }

    /** The enrolled pods by uid. */
    public Map<String, EnrolledPod> pods() {
        return Map.copyOf(pods);
    }
}
