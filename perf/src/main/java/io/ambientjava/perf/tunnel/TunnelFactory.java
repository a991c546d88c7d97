package io.ambientjava.perf.tunnel;

import java.net.InetSocketAddress;

/** Starts the tunnel of a kind with fresh mesh identities for both ends. */
final class TunnelFactory {

    private TunnelFactory() {}

    static Tunnel start(TunnelKind kind, InetSocketAddress target, int threadsPerSide) throws InterruptedException {
        BenchmarkMesh mesh = BenchmarkMesh.create();
        return switch (kind) {
            case TLS -> TlsTunnel.start(target, mesh.tls(), threadsPerSide);
            case HBONE -> HboneTunnel.start(target, mesh, threadsPerSide);
        };
    }
}
