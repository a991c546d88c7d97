package io.ambientjava.perf.l7;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** One path of the L7 benchmark, all on the same topology. */
public enum L7Variant {
    /** client → ztunnel → ztunnel → server (HBONE, no L7 hop): the baseline the waypoint hop is measured against. */
    L4("l4", "ztunnel only (L4)"),
    /** client → ztunnel → waypoint → ztunnel → server. */
    WAYPOINT("waypoint", "ztunnel → waypoint"),
    /** client → TLS → nginx (reverse proxy) → plain HTTP → server, no mesh: TLS on the client's side only. */
    NGINX("nginx", "nginx TLS proxy"),
    /**
     * client → TLS → nginx → mutual TLS (nginx presents a client certificate) → server, no mesh: the waypoint's
     * route, where both hops are encrypted, done by nginx.
     */
    NGINX_MTLS("nginx-mtls", "nginx TLS both sides"),
    /**
     * client → TLS → ingress gateway (waypoint.jar with {@code --ingress}: a Gateway API HTTPS listener, an HTTPRoute
     * and a DestinationRule with {@code tls.mode: MUTUAL}) → mutual TLS → the same TLS server, no mesh: nginx-mtls's
     * route done by this project's L7 engine, proxy for proxy.
     */
    GATEWAY_MTLS("gateway-mtls", "gateway TLS both sides");

    private final String key;
    private final String label;

    L7Variant(String key, String label) {
        this.key = key;
        this.label = label;
    }

    public String key() {
        return key;
    }

    public String label() {
        return label;
    }

    /** nginx on its own, outside the mesh. */
    public boolean isNginx() {
        return this == NGINX || this == NGINX_MTLS;
    }

    /** Its route ends at the TLS server that asks for a client certificate. */
    public boolean endsAtTlsServer() {
        return isNginx() || this == GATEWAY_MTLS;
    }

    /** It needs istiod-lite (the mesh variants, and the gateway, configured by it). */
    public boolean needsIstiod() {
        return !isNginx();
    }

    public static L7Variant parse(String text) {
        String wanted = text.strip().toLowerCase(Locale.ROOT);
        for (L7Variant v : values()) {
            if (v.key.equals(wanted)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown variant '" + text + "'; one of "
                + Arrays.stream(values()).map(L7Variant::key).collect(Collectors.joining(", ")));
    }
}
