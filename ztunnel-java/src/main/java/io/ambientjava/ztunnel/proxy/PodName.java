package io.ambientjava.ztunnel.proxy;

import java.util.Objects;

/** A pod's Kubernetes namespace and name, as the node agent reports them with the pod's netns. */
public record PodName(String namespace, String name) {

    public PodName {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        if (namespace.isBlank() || name.isBlank()) {
            throw new IllegalArgumentException(
                    "a pod name needs a namespace and a name, got '" + namespace + "/" + name + "'");
        }
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
