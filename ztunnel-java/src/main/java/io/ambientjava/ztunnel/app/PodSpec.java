package io.ambientjava.ztunnel.app;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A pod to proxy for, until the node agent hands pods over ZDS: its uid and its network namespace file.
 *
 * @param uid the pod's workload uid, as the local config names it (e.g. {@code Kubernetes//Pod/default/client})
 * @param netns e.g. {@code /var/run/netns/pod-a} or {@code /proc/<pid>/ns/net}
 */
public record PodSpec(String uid, Path netns) {

    public PodSpec {
        if (uid == null || uid.isBlank()) {
            throw new IllegalArgumentException("pod uid is empty");
        }
        Objects.requireNonNull(netns, "netns");
        if (netns.toString().isBlank()) {
            throw new IllegalArgumentException("pod " + uid + " has an empty network namespace path");
        }
    }

    /** Parses {@code UID=NETNS_PATH}, split at the first '=' (uids have none; paths might). */
    public static PodSpec parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not UID=NETNS_PATH");
        }
        return new PodSpec(
                text.substring(0, eq).trim(), Path.of(text.substring(eq + 1).trim()));
    }
}
