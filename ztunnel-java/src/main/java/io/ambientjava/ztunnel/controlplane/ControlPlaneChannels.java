package io.ambientjava.ztunnel.controlplane;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.util.Optional;
import javax.net.ssl.SSLException;

/** gRPC channels to istiod: plaintext (the loopback port) or TLS verified by {@link ControlPlaneTls}. */
public final class ControlPlaneChannels {

    private ControlPlaneChannels() {}

    public static ManagedChannel open(String host, int port, Optional<ControlPlaneTls> tls) {
        NettyChannelBuilder builder =
                NettyChannelBuilder.forAddress(host, port).maxInboundMessageSize(200 * 1024 * 1024);
        if (tls.isEmpty()) {
            return builder.usePlaintext().build();
        }
        try {
            return builder.sslContext(GrpcSslContexts.forClient()
                            .trustManager(new SpiffeServerTrustManager(tls.get()))
                            .build())
                    .build();
        } catch (SSLException e) {
            throw new ControlPlaneException(
                    "cannot build the TLS context for " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }
}
