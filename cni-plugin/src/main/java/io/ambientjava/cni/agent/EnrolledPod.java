package io.ambientjava.cni.agent;

import io.ambientjava.api.zds.WorkloadInfo;
import java.nio.file.Path;

/** A pod the node agent has put into the mesh: its uid, who it is, and where its network namespace is. */
public record EnrolledPod(String uid, WorkloadInfo info, Path netns) {}
