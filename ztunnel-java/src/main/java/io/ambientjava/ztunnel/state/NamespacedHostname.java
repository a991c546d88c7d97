package io.ambientjava.ztunnel.state;

import java.util.Objects;

/**
 * A service's primary key: its namespace and hostname. Text form {@code namespace/hostname}, as used by
 * {@code Workload.services} keys and xDS resource names.
 */
public record NamespacedHostname(String namespace, String hostname) implements Comparable<NamespacedHostname> {

    public NamespacedHostname {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(hostname, "hostname");
        if (namespace.isEmpty() || namespace.indexOf('/') >= 0) {
            throw new IllegalArgumentException("invalid namespace '" + namespace + "'");
        }
        if (hostname.isEmpty() || hostname.indexOf('/') >= 0) {
            throw new IllegalArgumentException("invalid hostname '" + hostname + "'");
        }
    }

    /**
     * Parses {@code namespace/hostname}.
     *
     * @throws IllegalArgumentException when either part is missing or contains another '/'
     */
    public static NamespacedHostname parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || text.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException("'" + text + "' is not namespace/hostname");
        }
        return new NamespacedHostname(text.substring(0, slash), text.substring(slash + 1));
    }

    @Override
    public int compareTo(NamespacedHostname o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : hostname.compareTo(o.hostname);
    }

    @Override
    public String toString() {
        return namespace + "/" + hostname;
    }
}
