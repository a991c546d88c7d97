package io.ambientjava.perf.bench;

import io.ambientjava.perf.tunnel.TunnelKind;
import java.util.Locale;
import java.util.Optional;

/** A path through which the load reaches the echo/sink server. */
public enum Variant {
    /** Client straight to server: the floor every tunnel is compared with. */
    DIRECT(null),
    /** One mutual TLS 1.3 connection per TCP connection, no HTTP/2. */
    TLS(TunnelKind.TLS),
    /** HTTP/2 CONNECT over pooled mutual TLS connections, as ztunnel carries pod traffic. */
    HBONE(TunnelKind.HBONE);

    private final TunnelKind tunnel;

    Variant(TunnelKind tunnel) {
        this.tunnel = tunnel;
    }

    /** The tunnel a child process hosts for this variant; empty for {@link #DIRECT}. */
    public Optional<TunnelKind> tunnel() {
        return Optional.ofNullable(tunnel);
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code direct}, {@code tls} or {@code hbone} (any case). */
    public static Variant parse(String text) {
        for (Variant variant : values()) {
            if (variant.label().equalsIgnoreCase(text.trim())) {
                return variant;
            }
        }
        throw new IllegalArgumentException("unknown variant '" + text + "' (expected direct, tls or hbone)");
    }
}
