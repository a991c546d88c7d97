package io.ambientjava.ztunnel.state;

/** How traffic reaches a workload: through an HBONE tunnel (in the mesh) or as plain TCP. */
public enum Protocol {
    TCP,
    HBONE
}
