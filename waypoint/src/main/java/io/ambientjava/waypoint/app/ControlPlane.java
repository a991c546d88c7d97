package io.ambientjava.waypoint.app;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLException;

/**
 * gRPC channels to istiod-lite (xDS and CA): plaintext, or TLS verified against a root certificate; and the
 * {@code authorization: Bearer <token>} credentials, the token re-read from its file on every call (it rotates).
 */
final class ControlPlane {

    private ControlPlane() {}

    static ManagedChannel channel(String hostPort, Optional<Path> rootCert) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("address '" + hostPort + "' must be host:port");
        }
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(
                        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))
                .maxInboundMessageSize(200 * 1024 * 1024);
        if (rootCert.isEmpty()) {
            return builder.usePlaintext().build();
        }
        try {
            return builder.sslContext(GrpcSslContexts.forClient()
                            .trustManager(rootCert.get().toFile())
                            .build())
                    .build();
        } catch (SSLException e) {
            throw new IllegalArgumentException(
                    "cannot use " + rootCert.get() + " as the istiod root: " + e.getMessage(), e);
        }
    }

    static CallCredentials bearer(Path tokenFile, String clusterId) {
        Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
        Metadata.Key<String> cluster = Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER);
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                try {
                    String token =
                            Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
                    Metadata headers = new Metadata();
                    headers.put(authorization, "Bearer " + token);
                    headers.put(cluster, clusterId);
                    applier.apply(headers);
                } catch (IOException e) {
                    applier.fail(io.grpc.Status.UNAUTHENTICATED.withDescription(
                            "cannot read token file " + tokenFile + ": " + e.getMessage()));
                } catch (UncheckedIOException e) {
                    applier.fail(io.grpc.Status.UNAUTHENTICATED.withDescription(e.getMessage()));
                }
            }
        };
    }
}
