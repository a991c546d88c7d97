package io.ambientjava.perf.mesh;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What sits between the client pod and the server pod. */
public enum MeshVariant {
    /** Nothing: the client connects straight to the server across the fabric. */
    DIRECT,
    /** One ztunnel per node, Istio's in-pod redirection in both pods: L4 through HBONE (mTLS, HTTP/2 CONNECT). */
    ZTUNNEL,
    /** stunnel in each pod as a plain mutual-TLS 1.3 tunnel, one TLS connection per TCP connection. */
    STUNNEL;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code direct}, {@code ztunnel} or {@code stunnel}, any case. */
    public static MeshVariant parse(String text) {
        for (MeshVariant variant : values()) {
            if (variant.label().equalsIgnoreCase(text.strip())) {
                return variant;
            }
        }
        throw new IllegalArgumentException("unknown mesh variant '" + text + "'; expected one of "
                + Arrays.stream(values()).map(MeshVariant::label).collect(Collectors.joining(", ")));
    }
}
