package io.ambientjava.ztunnel.status;

import java.util.Objects;

/**
 * A pod a ztunnel proxies for.
 *
 * @param uid the pod's uid as the node agent (or the command line) names it
 * @param netns where its network namespace is, e.g. {@code /var/run/netns/pod-a}
 * @param state what the proxy is doing for it, e.g. {@code running}, {@code starting}, {@code failed: ...}
 */
public record PodStatus(String uid, String netns, String state) {

    public PodStatus {
        Objects.requireNonNull(uid, "uid");
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(state, "state");
    }
}
