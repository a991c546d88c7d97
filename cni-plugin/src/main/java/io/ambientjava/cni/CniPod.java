package io.ambientjava.cni;

import java.nio.file.Path;

/**
 * The pod a CNI call is about, from {@code CNI_ARGS} and the environment.
 *
 * @param uid {@code K8S_POD_UID}, or the container id when the runtime does not pass one
 * @param serviceAccount {@code K8S_POD_SERVICE_ACCOUNT}, our own (optional) CNI_ARGS key; empty when absent
 * @param netns {@code CNI_NETNS}; null on a DEL whose netns is gone
 */
public record CniPod(
        String uid, String name, String namespace, String serviceAccount, String containerId, Path netns) {}
