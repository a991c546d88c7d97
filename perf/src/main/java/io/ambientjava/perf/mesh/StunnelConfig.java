package io.ambientjava.perf.mesh;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * stunnel configuration files for one end of a mutual TLS 1.3 tunnel: foreground, no pid file, peer
 * certificates required and checked against the mesh root.
 */
public record StunnelConfig(
        boolean client, InetSocketAddress accept, InetSocketAddress connect, Path cert, Path key, Path caFile) {

    public StunnelConfig {
        if (accept == null || connect == null || cert == null || key == null || caFile == null) {
            throw new IllegalArgumentException("stunnel config needs accept, connect, cert, key and CA file");
        }
    }

    public String text() {
        return """
                foreground = yes
                pid =
                debug = 4
                [mesh]
                client = %s
                accept = %s
                connect = %s
                cert = %s
                key = %s
                CAfile = %s
                verifyChain = yes
                requireCert = yes
                sslVersionMin = TLSv1.3
                socket = l:TCP_NODELAY=1
                socket = r:TCP_NODELAY=1
                """.formatted(client ? "yes" : "no", hostPort(accept), hostPort(connect), cert, key, caFile);
    }

    private static String hostPort(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }
}
