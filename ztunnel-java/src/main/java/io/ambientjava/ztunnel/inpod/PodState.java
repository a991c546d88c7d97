package io.ambientjava.ztunnel.inpod;

/** Where a pod enrolled with ztunnel is in its life. */
public enum PodState {
    /** Its listeners are being opened inside its network namespace. */
    STARTING,
    /** Its listeners are open. */
    RUNNING,
    /** Its listeners could not be opened; see {@link PodInfo#error()}. */
    FAILED,
    /** It was removed (or the runtime drains): no new connections, open ones finish or are closed. */
    DRAINING
}
