package io.ambientjava.ztunnel.caclient;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.api.ca.IstioCertificateRequest;
import io.ambientjava.api.ca.IstioCertificateResponse;
import io.ambientjava.api.ca.IstioCertificateServiceGrpc;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A CA that answers with the wrong certificate is caught before the certificate is used. */
@Timeout(30)
class WrongIdentityCaTest {

    private static final SpiffeId ASKED = new SpiffeId("cluster.local", "shop", "web");
    private static final MeshCertificateAuthority CA = MeshCertificateAuthority.createSelfSigned("cluster.local");

    @TempDir
    Path dir;

    @Test
    void aLeafForAnotherIdentityIsRefused() throws Exception {
        SpiffeId other = new SpiffeId("cluster.local", "shop", "admin");
        try (var fixture = new Fixture(request -> CA.issue(other, Duration.ofHours(1)))) {
            assertThatThrownBy(() -> fixture.provider.fetch(ASKED).get(10, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(CaRequestException.class)
                    .hasMessageContaining("certificate for " + ASKED)
                    .hasMessageContaining("returned a certificate for " + other + " instead");
        }
    }

    @Test
    void aLeafWithAnotherKeyIsRefused() throws Exception {
        try (var fixture = new Fixture(request -> CA.issue(ASKED, Duration.ofHours(1)))) {
            assertThatThrownBy(() -> fixture.provider.fetch(ASKED).get(10, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(CaRequestException.class)
                    .hasMessageContaining("does not carry the key of our CSR");
        }
    }

    /** A CA service answering every request with the chain {@code answer} makes. */
    private final class Fixture implements AutoCloseable {
        final Server server;
        final IstiodCertificateProvider provider;

        Fixture(Function<IstioCertificateRequest, WorkloadCertificate> answer) throws Exception {
            server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .addService(new IstioCertificateServiceGrpc.IstioCertificateServiceImplBase() {
                        @Override
                        public void createCertificate(
                                IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
                            IstioCertificateResponse.Builder reply = IstioCertificateResponse.newBuilder();
                            for (X509Certificate certificate :
                                    answer.apply(request).chain()) {
                                reply.addCertChain(Pem.writeCertificate(certificate));
                            }
                            response.onNext(reply.build());
                            response.onCompleted();
                        }
                    })
                    .build()
                    .start();
            Path token = Files.writeString(dir.resolve("token"), "any-token-0123456789");
            provider = IstiodCertificateProvider.create(CaClientSettings.of("127.0.0.1", server.getPort(), token));
        }

        @Override
        public void close() throws InterruptedException {
            provider.close();
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
