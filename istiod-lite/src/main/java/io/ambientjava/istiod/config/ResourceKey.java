package io.ambientjava.istiod.config;

import java.util.Comparator;
import java.util.Objects;

/**
 * Which resource a document describes: its kind, namespace (empty for cluster-scoped kinds) and name. Two
 * documents with the same key describe the same resource.
 */
public record ResourceKey(ResourceKind kind, String namespace, String name) implements Comparable<ResourceKey> {

    private static final Comparator<ResourceKey> ORDER = Comparator.comparing(ResourceKey::kind)
            .thenComparing(ResourceKey::namespace)
            .thenComparing(ResourceKey::name);

    public ResourceKey {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    /** {@code namespace/name}, or just the name for cluster-scoped kinds. */
    public String namespacedName() {
        return namespace.isEmpty() ? name : namespace + "/" + name;
    }

    @Override
    public int compareTo(ResourceKey other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return kind.kind() + " " + namespacedName();
    }
}
