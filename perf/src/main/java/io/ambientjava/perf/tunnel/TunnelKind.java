package io.ambientjava.perf.tunnel;

/** The tunnels a child process can host. */
public enum TunnelKind {
    TLS,
    HBONE
}
