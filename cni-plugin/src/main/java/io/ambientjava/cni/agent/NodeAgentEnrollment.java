package io.ambientjava.cni.agent;

import io.ambientjava.cni.CniException;
import io.ambientjava.cni.CniPod;
import io.ambientjava.cni.PodEnrollment;
import io.ambientjava.cni.redirect.RedirectionException;
import io.ambientjava.zds.ZdsException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The CNI plugin's requests served by an in-process {@link NodeAgent}, with Istio's failure mapping: ztunnel not
 * (yet) connected or the connection lost is "try again later" (the runtime retries the pod), a nack or a
 * redirection failure is an enrollment failure.
 */
public final class NodeAgentEnrollment implements PodEnrollment {
    private final NodeAgent agent;
    private final Duration timeout;

    public NodeAgentEnrollment(NodeAgent agent, Duration timeout) {
        this.agent = agent;
        this.timeout = timeout;
    }

    @Override
    public void add(CniPod pod) {
        CompletableFuture<Void> acked;
        try {
            acked = agent.podAdded(pod);
        } catch (RedirectionException e) {
            throw new CniException(CniException.ENROLLMENT_FAILED, "cannot redirect pod traffic", e.getMessage());
        }
        await(acked, "enrolling pod " + pod.namespace() + "/" + pod.name());
    }

    @Override
    public void remove(CniPod pod) {
        try {
            await(agent.remove(pod.uid()), "removing pod " + pod.namespace() + "/" + pod.name());
        } catch (RedirectionException e) {
            throw new CniException(CniException.ENROLLMENT_FAILED, "cannot remove redirection", e.getMessage());
        }
    }

    private void await(CompletableFuture<Void> acked, String what) {
        try {
            acked.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ZdsException zds) {
                int code = zds.kind() == ZdsException.Kind.NACK
                        ? CniException.ENROLLMENT_FAILED
                        : CniException.TRY_AGAIN_LATER;
                throw new CniException(code, what + ": " + zds.getMessage());
            }
            throw new CniException(CniException.ENROLLMENT_FAILED, what + ": " + e.getCause());
        } catch (TimeoutException e) {
            throw new CniException(CniException.TRY_AGAIN_LATER, what + ": no answer from ztunnel within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CniException(CniException.TRY_AGAIN_LATER, what + ": interrupted");
        }
    }
}
