package io.ambientjava.cni.agent.kubernetes;

import java.nio.file.Path;
import java.util.Optional;

/** Finds the network namespace of a pod the runtime created without telling this agent (it ran before the agent). */
@FunctionalInterface
public interface PodNetnsLocator {
    /** A path to the pod's netns (a file {@code setns} accepts), or empty when it cannot be found now. */
    Optional<Path> find(ScheduledPod pod);
}
