package io.ambientjava.ztunnel.state;

/**
 * A host-network workload shares its node's IP, so it is never indexed by address (the address would match every
 * pod on the node that uses host networking).
 */
public enum NetworkMode {
    STANDARD,
    HOST_NETWORK
}
