package io.ambientjava.istiod.ca;

import static io.ambientjava.istiod.testsupport.Configs.ambientNamespace;
import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.api.ca.IstioCertificateRequest;
import io.ambientjava.api.ca.IstioCertificateResponse;
import io.ambientjava.api.ca.IstioCertificateServiceGrpc;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.csr.CsrGenerator;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.istiod.server.IstiodServer;
import io.ambientjava.istiod.testsupport.MeshRootsTrustManager;
import io.ambientjava.istiod.testsupport.MutableConfigSource;
import io.ambientjava.istiod.testsupport.XdsTestClient;
import io.ambientjava.istiod.xds.TypeUrls;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateServiceTest {

    private static final String WEB_TOKEN = "token-of-shop-web-0123456789";
    private static final String ZTUNNEL_A_TOKEN = "token-of-ztunnel-node-a-0123";
    private static final String ZTUNNEL_B_TOKEN = "token-of-ztunnel-node-b-0123";
    private static final String EXPIRED_TOKEN = "token-that-expired-long-ago";
    private static final SpiffeId WEB = new SpiffeId("cluster.local", "shop", "web");

    @TempDir
    Path folder;

    private MeshCertificateAuthority ca;
    private IstiodServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        Path tokens = folder.resolve("tokens.yaml");
        Files.writeString(tokens, """
                tokens:
                - {token: %s, namespace: shop, serviceAccount: web}
                - {token: %s, namespace: istio-system, serviceAccount: ztunnel, node: node-a}
                - {token: %s, namespace: istio-system, serviceAccount: ztunnel, node: node-b}
                - {token: %s, namespace: shop, serviceAccount: web, expires: "2020-01-01T00:00:00Z"}
                """.formatted(WEB_TOKEN, ZTUNNEL_A_TOKEN, ZTUNNEL_B_TOKEN, EXPIRED_TOKEN));
        ca = MeshCertificateAuthority.createSelfSigned("cluster.local");
        var source = new MutableConfigSource(
                join(ambientNamespace("shop"), pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web")));
        server = IstiodServer.builder(source, ca)
                .xdsPort(0)
                .tlsAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .authenticator(TokenFileAuthenticator.load(tokens, "cluster.local", Clock.systemUTC()))
                .start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.xdsPort())
                .usePlaintext()
                .build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void callerGetsItsOwnIdentityWithTheDefaultLifetime() throws Exception {
        IstioCertificateResponse response = stub(WEB_TOKEN).createCertificate(request(WEB, 0));
        List<X509Certificate> chain = chainOf(response);
        assertThat(chain).hasSize(2);
        assertThat(SpiffeId.fromCertificate(chain.get(0))).isEqualTo(WEB);
        assertThat(chain.get(1)).isEqualTo(ca.trustBundle().roots().getFirst());
        chain.get(0).verify(chain.get(1).getPublicKey());
        Duration lifetime = Duration.between(
                chain.get(0).getNotBefore().toInstant(),
                chain.get(0).getNotAfter().toInstant());
        assertThat(lifetime)
                .isBetween(Duration.ofHours(24), Duration.ofHours(24).plusMinutes(5));
    }

    @Test
    void requestedValidityIsHonouredUpToTheMaximum() throws Exception {
        X509Certificate hour =
                chainOf(stub(WEB_TOKEN).createCertificate(request(WEB, 3600))).getFirst();
        assertThat(Duration.between(
                        hour.getNotBefore().toInstant(), hour.getNotAfter().toInstant()))
                .isBetween(Duration.ofHours(1), Duration.ofHours(1).plusMinutes(5));
        X509Certificate capped = chainOf(stub(WEB_TOKEN)
                        .createCertificate(request(WEB, Duration.ofDays(3650).toSeconds())))
                .getFirst();
        assertThat(Duration.between(
                        capped.getNotBefore().toInstant(), capped.getNotAfter().toInstant()))
                .isLessThanOrEqualTo(Duration.ofDays(90).plusMinutes(5));
    }

    @Test
    void nodeAgentGetsTheIdentityOfAPodOnItsNode() throws Exception {
        IstioCertificateResponse response = stub(ZTUNNEL_A_TOKEN).createCertificate(impersonating(WEB, WEB.toString()));
        assertThat(SpiffeId.fromCertificate(chainOf(response).getFirst())).isEqualTo(WEB);
    }

    @Test
    void nodeAgentMayNotImpersonateAPodOnAnotherNode() {
        assertRefused(
                () -> stub(ZTUNNEL_B_TOKEN).createCertificate(impersonating(WEB, WEB.toString())),
                Status.Code.PERMISSION_DENIED,
                "no pod with service account shop/web runs on node node-b");
    }

    @Test
    void workloadMayNotImpersonate() {
        SpiffeId other = new SpiffeId("cluster.local", "shop", "admin");
        assertRefused(
                () -> stub(WEB_TOKEN).createCertificate(impersonating(other, other.toString())),
                Status.Code.PERMISSION_DENIED,
                "not a trusted node agent account");
    }

    @Test
    void malformedImpersonatedIdentityIsInvalid() {
        assertRefused(
                () -> stub(ZTUNNEL_A_TOKEN).createCertificate(impersonating(WEB, "shop/web")),
                Status.Code.INVALID_ARGUMENT,
                "ImpersonatedIdentity: not a SPIFFE ID");
    }

    @Test
    void unknownExpiredOrMissingTokensAreUnauthenticated() {
        assertRefused(
                () -> stub("not-a-known-token-at-all").createCertificate(request(WEB, 0)),
                Status.Code.UNAUTHENTICATED,
                "unknown token");
        assertRefused(
                () -> stub(EXPIRED_TOKEN).createCertificate(request(WEB, 0)),
                Status.Code.UNAUTHENTICATED,
                "expired at 2020-01-01T00:00:00Z");
        assertRefused(
                () -> IstioCertificateServiceGrpc.newBlockingStub(channel).createCertificate(request(WEB, 0)),
                Status.Code.UNAUTHENTICATED,
                "no bearer token");
    }

    @Test
    void malformedCsrIsInvalidArgumentNamingTheProblem() {
        assertRefused(
                () -> stub(WEB_TOKEN)
                        .createCertificate(IstioCertificateRequest.newBuilder()
                                .setCsr(
                                        "-----BEGIN CERTIFICATE REQUEST-----\ngarbage\n-----END CERTIFICATE REQUEST-----\n")
                                .build()),
                Status.Code.INVALID_ARGUMENT,
                "csr refused");
        assertRefused(
                () -> stub(WEB_TOKEN).createCertificate(IstioCertificateRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT,
                "csr is empty");
        SpiffeId someoneElse = new SpiffeId("cluster.local", "shop", "admin");
        assertRefused(
                () -> stub(WEB_TOKEN).createCertificate(request(someoneElse, 0)),
                Status.Code.INVALID_ARGUMENT,
                "csr refused");
        assertRefused(
                () -> stub(WEB_TOKEN).createCertificate(request(WEB, -5)),
                Status.Code.INVALID_ARGUMENT,
                "validity_duration must not be negative");
    }

    @Test
    void tlsPortPresentsIstiodsMeshIdentityAndServesTheCa() throws Exception {
        AtomicReference<X509Certificate> presented = new AtomicReference<>();
        ManagedChannel tls = NettyChannelBuilder.forAddress(
                        "127.0.0.1", server.tlsPort().orElseThrow())
                .sslContext(GrpcSslContexts.forClient()
                        .trustManager(new MeshRootsTrustManager(ca.trustBundle().roots(), presented))
                        .build())
                .build();
        try {
            IstioCertificateResponse response = IstioCertificateServiceGrpc.newBlockingStub(tls)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(WEB_TOKEN)))
                    .createCertificate(request(WEB, 0));
            assertThat(SpiffeId.fromCertificate(chainOf(response).getFirst())).isEqualTo(WEB);
            assertThat(SpiffeId.fromCertificate(presented.get()))
                    .isEqualTo(new SpiffeId("cluster.local", "istio-system", "istiod"));
        } finally {
            tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void xdsOnTheTlsPortNeedsATokenOrAMeshClientCertificate() throws Exception {
        int port = server.tlsPort().orElseThrow();
        var trust = new MeshRootsTrustManager(ca.trustBundle().roots(), new AtomicReference<>());

        ManagedChannel anonymous = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .sslContext(GrpcSslContexts.forClient().trustManager(trust).build())
                .build();
        try (XdsTestClient client = new XdsTestClient(anonymous, "anonymous")) {
            client.subscribe(TypeUrls.ADDRESS);
            Status status = Status.fromThrowable(client.awaitClosed());
            assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(status.getDescription()).contains("mesh client certificate or an 'authorization: Bearer' token");
        }

        ManagedChannel withToken = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .sslContext(GrpcSslContexts.forClient().trustManager(trust).build())
                .intercept(MetadataUtils.newAttachHeadersInterceptor(bearer(ZTUNNEL_A_TOKEN)))
                .build();
        try (XdsTestClient client = new XdsTestClient(withToken, "ztunnel-a")) {
            client.subscribe(TypeUrls.ADDRESS);
            assertThat(client.next().getResourcesList()).isNotEmpty();
        }

        var ztunnelCertificate = ca.issue(new SpiffeId("cluster.local", "istio-system", "ztunnel"));
        ManagedChannel withCertificate = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .sslContext(GrpcSslContexts.forClient()
                        .trustManager(trust)
                        .keyManager(
                                ztunnelCertificate.privateKey(),
                                ztunnelCertificate.chain().toArray(X509Certificate[]::new))
                        .build())
                .build();
        try (XdsTestClient client = new XdsTestClient(withCertificate, "ztunnel-a")) {
            client.subscribe(TypeUrls.ADDRESS);
            assertThat(client.next().getResourcesList()).isNotEmpty();
        }
    }

    private IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub stub(String token) {
        return IstioCertificateServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static Metadata bearer(String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return headers;
    }

    private static IstioCertificateRequest request(SpiffeId identity, long validitySeconds) {
        return IstioCertificateRequest.newBuilder()
                .setCsr(CsrGenerator.generate(identity).csrPem())
                .setValidityDuration(validitySeconds)
                .build();
    }

    private static IstioCertificateRequest impersonating(SpiffeId csrIdentity, String impersonated) {
        return request(csrIdentity, 0).toBuilder()
                .setMetadata(Struct.newBuilder()
                        .putFields(
                                "ImpersonatedIdentity",
                                Value.newBuilder().setStringValue(impersonated).build()))
                .build();
    }

    private static List<X509Certificate> chainOf(IstioCertificateResponse response) {
        return response.getCertChainList().stream().map(Pem::readCertificate).toList();
    }

    private static void assertRefused(ThrowingCall call, Status.Code code, String reason) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(reason);
        });
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }
}
