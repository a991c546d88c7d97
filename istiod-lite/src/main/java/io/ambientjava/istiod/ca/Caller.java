package io.ambientjava.istiod.ca;

import io.ambientjava.identity.SpiffeId;
import java.util.Objects;
import java.util.Optional;

/**
 * Who called the CA, as its credential says.
 *
 * @param identity the caller's own workload identity
 * @param node the node the caller runs on, when the credential says (node agents such as ztunnel)
 */
public record Caller(SpiffeId identity, Optional<String> node) {

    public Caller {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(node, "node");
    }

    /** {@code namespace/serviceAccount}. */
    public String account() {
        return identity.namespace() + "/" + identity.serviceAccount();
    }

    @Override
    public String toString() {
        return identity + node.map(n -> " on node " + n).orElse("");
    }
}
