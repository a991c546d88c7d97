package io.ambientjava.cni;

/** What the plugin asks of the node agent. Failures are thrown as {@link CniException}s. */
public interface PodEnrollment {
    /** Puts the pod into the mesh; returns once redirection is in place and ztunnel acked. */
    void add(CniPod pod);

    /** Takes the pod out of the mesh; fine when it was never in. */
    void remove(CniPod pod);
}
