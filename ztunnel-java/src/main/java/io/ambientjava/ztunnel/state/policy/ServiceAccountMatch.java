package io.ambientjava.ztunnel.state.policy;

import java.util.Objects;

/** Matches a peer identity's namespace and service account exactly (any trust domain). */
public record ServiceAccountMatch(String namespace, String serviceAccount) {

    public ServiceAccountMatch {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(serviceAccount, "serviceAccount");
    }

    boolean matches(SourceIdentity identity) {
        return namespace.equals(identity.namespace()) && serviceAccount.equals(identity.serviceAccount());
    }
}
