package io.ambientjava.cni.redirect;

import java.nio.file.Path;

/** Steers a pod's traffic to ztunnel inside the pod's network namespace, and stops doing so. */
public interface PodRedirector {
    /** Installs (or re-installs) redirection in {@code netns}; idempotent. */
    void apply(Path netns);

    /** Removes redirection from {@code netns}; idempotent. */
    void remove(Path netns);
}
