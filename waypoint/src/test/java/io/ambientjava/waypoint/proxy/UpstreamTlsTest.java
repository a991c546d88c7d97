package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.config.ClusterTranslator;
import io.ambientjava.waypoint.config.UnsupportedConfigException;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.OpensslServer;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS originated by the waypoint to a cluster's endpoints ({@code transport_socket} with an
 * {@code UpstreamTlsContext}, a DestinationRule's {@code tls} mode SIMPLE or MUTUAL): the real peer is
 * {@code openssl s_server}, whose status page shows the session and the client certificate it was shown.
 */
@RequiresCommand("openssl")
class UpstreamTlsTest {

    private static final String SERVER_NAME = "shop.example.com";
    private static final String CLUSTER = "outbound|80||" + TestBed.HOST;

    @TempDir
    static Path keys;

    private final TestBed bed = new TestBed();
    private OpensslServer server;

    /** A mesh CA issuing the server's and the waypoint's certificates, and a rogue CA with a server of its own. */
    @BeforeAll
    static void certificates() throws Exception {
        LocalCommands.selfSigned(keys, "ca", "shop-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "ca", "shop", SERVER_NAME, "DNS:" + SERVER_NAME);
        LocalCommands.issuedBy(keys, "ca", "gateway", "gateway", "URI:spiffe://cluster.local/ns/edge/sa/gateway");
        LocalCommands.selfSigned(keys, "rogue-ca", "rogue-ca", "sec1-ec");
        LocalCommands.issuedBy(keys, "rogue-ca", "rogue", SERVER_NAME, "DNS:" + SERVER_NAME);
        LocalCommands.crl(keys, "ca", "none-revoked");
        LocalCommands.crl(keys, "ca", "shop-revoked", "shop");
    }

    @AfterEach
    void close() throws Exception {
        if (server != null) {
            server.close();
        }
        bed.close();
    }

    private static String pem(String file) throws Exception {
        return Files.readString(keys.resolve(file), StandardCharsets.US_ASCII);
    }

    private static DataSource inline(String file) throws Exception {
        return DataSource.newBuilder()
                .setInlineBytes(ByteString.copyFrom(pem(file), StandardCharsets.US_ASCII))
                .build();
    }

    private static CertificateValidationContext.Builder trusting(String caFile) throws Exception {
        return CertificateValidationContext.newBuilder().setTrustedCa(inline(caFile));
    }

    private static TlsCertificate clientCertificate() throws Exception {
        return TlsCertificate.newBuilder()
                .setCertificateChain(DataSource.newBuilder()
                        .setFilename(keys.resolve("gateway.crt").toString()))
                .setPrivateKey(DataSource.newBuilder()
                        .setFilename(keys.resolve("gateway.key").toString()))
                .build();
    }

    private static TransportSocket socket(UpstreamTlsContext tls) {
        return TransportSocket.newBuilder()
                .setName("envoy.transport_sockets.tls")
                .setTypedConfig(Any.pack(tls))
                .build();
    }

    private static UpstreamTlsContext simple(CertificateValidationContext.Builder validation) {
        return UpstreamTlsContext.newBuilder()
                .setSni(SERVER_NAME)
                .setCommonTlsContext(CommonTlsContext.newBuilder().setValidationContext(validation))
                .build();
    }

    /** The usual route to {@link #CLUSTER}, whose one endpoint is the openssl server, reached with {@code tls}. */
    private void route(TransportSocket tls) {
        bed.configure(List.of(Envoy.prefixRoute("/", CLUSTER).build()));
        bed.push(Envoy.edsCluster(CLUSTER).setTransportSocket(tls).build());
        bed.push(Envoy.plainEndpoints(CLUSTER, List.of(server.address())));
    }

    @Test
    void simpleTlsVerifiesTheServersCaAndNameAndSendsTheServerName() throws Exception {
        // Without SNI openssl presents the rogue certificate, which the cluster's CA does not trust.
        server = OpensslServer.start(
                keys,
                "-cert",
                "rogue.crt",
                "-key",
                "rogue.key",
                "-servername",
                SERVER_NAME,
                "-cert2",
                "shop.crt",
                "-key2",
                "shop.key");
        route(socket(simple(trusting("ca.crt")
                .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                        .setSanType(SubjectAltNameMatcher.SanType.DNS)
                        .setMatcher(StringMatcher.newBuilder().setExact(SERVER_NAME))))));
        HttpResponse<String> response = bed.get("/");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("TLSv1.3").contains("no client certificate available");
    }

    @Test
    void mutualTlsPresentsTheClientCertificateTheServerAsksFor() throws Exception {
        server =
                OpensslServer.start(keys, "-cert", "shop.crt", "-key", "shop.key", "-Verify", "1", "-CAfile", "ca.crt");
        route(socket(simple(trusting("ca.crt")).toBuilder()
                .setCommonTlsContext(CommonTlsContext.newBuilder()
                        .setValidationContext(trusting("ca.crt"))
                        .addTlsCertificates(clientCertificate()))
                .build()));
        HttpResponse<String> response = bed.get("/");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("Client certificate").contains("Subject: CN=gateway");
    }

    @Test
    void aServerFromAnotherCaIsAConnectionFailureAndGetsNoRequest() throws Exception {
        server = OpensslServer.start(keys, "-cert", "rogue.crt", "-key", "rogue.key");
        route(socket(simple(trusting("ca.crt"))));
        HttpResponse<String> response = bed.get("/");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(bed.records.getLast().responseFlags()).contains("UF");
    }

    @Test
    void aServerWhoseCertificateTheCrlRevokesIsRefusedAndOneItDoesNotRevokeIsServed() throws Exception {
        server = OpensslServer.start(keys, "-cert", "shop.crt", "-key", "shop.key");
        route(socket(simple(trusting("ca.crt").setCrl(inline("none-revoked.crl")))));
        assertThat(bed.get("/").statusCode()).as("the CA's CRL revokes nothing").isEqualTo(200);

        route(socket(simple(trusting("ca.crt")
                .setCrl(DataSource.newBuilder()
                        .setFilename(keys.resolve("shop-revoked.crl").toString())))));
        HttpResponse<String> refused = bed.get("/");
        assertThat(refused.statusCode())
                .as("the server's certificate is revoked")
                .isEqualTo(503);
    }

    @Test
    void aCrlThatIsNotACrlIsRefusedByField() {
        assertThatThrownBy(() -> io.ambientjava.waypoint.config.ClusterTranslator.translate(Envoy.edsCluster(CLUSTER)
                        .setTransportSocket(socket(simple(trusting("ca.crt").setCrl(inline("ca.crt")))))
                        .build()))
                .hasMessageContaining("validation_context.crl");
    }

    @Test
    void aServerWithAnotherNameIsRefused() throws Exception {
        server = OpensslServer.start(keys, "-cert", "shop.crt", "-key", "shop.key");
        route(socket(simple(trusting("ca.crt")
                .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                        .setSanType(SubjectAltNameMatcher.SanType.DNS)
                        .setMatcher(StringMatcher.newBuilder().setExact("payments.example.com"))))));
        assertThat(bed.get("/").statusCode()).isEqualTo(503);
    }

    @Test
    void withoutAValidationContextAnyServerIsAcceptedAsInEnvoy() throws Exception {
        server = OpensslServer.start(keys, "-cert", "rogue.crt", "-key", "rogue.key");
        route(socket(UpstreamTlsContext.newBuilder()
                .setCommonTlsContext(CommonTlsContext.getDefaultInstance())
                .build()));
        assertThat(bed.get("/").statusCode()).isEqualTo(200);
    }

    @Test
    void aServerThatRequiresAClientCertificateRefusesAClusterWithout() throws Exception {
        server =
                OpensslServer.start(keys, "-cert", "shop.crt", "-key", "shop.key", "-Verify", "1", "-CAfile", "ca.crt");
        route(socket(simple(trusting("ca.crt"))));
        assertThat(bed.get("/").statusCode()).isEqualTo(503);
    }

    private static Cluster cluster(UpstreamTlsContext tls) {
        return Envoy.edsCluster(CLUSTER).setTransportSocket(socket(tls)).build();
    }

    @Test
    void tlsSettingsTheWaypointDoesNotImplementOrCannotReadAreRefusedByField() throws Exception {
        assertThatThrownBy(() -> ClusterTranslator.translate(cluster(simple(trusting("ca.crt")).toBuilder()
                        .setAllowRenegotiation(true)
                        .build())))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("transport_socket.typed_config")
                .hasMessageContaining("allow_renegotiation");
        assertThatThrownBy(() -> ClusterTranslator.translate(cluster(simple(CertificateValidationContext.newBuilder()
                        .setTrustedCa(DataSource.newBuilder()
                                .setFilename(keys.resolve("absent.crt").toString()))))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("validation_context.trusted_ca.filename")
                .hasMessageContaining("absent.crt");
        assertThatThrownBy(() -> ClusterTranslator.translate(cluster(simple(trusting("ca.crt")).toBuilder()
                        .setCommonTlsContext(CommonTlsContext.newBuilder()
                                .setValidationContext(trusting("ca.crt"))
                                .addTlsCertificates(TlsCertificate.newBuilder()
                                        .setCertificateChain(inline("gateway.crt"))
                                        .setPrivateKey(inline("shop.key"))))
                        .build())))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("tls_certificates[0]")
                .hasMessageContaining("does not belong");
        assertThatThrownBy(() -> ClusterTranslator.translate(cluster(simple(trusting("ca.crt")).toBuilder()
                        .setCommonTlsContext(CommonTlsContext.newBuilder()
                                .addTlsCertificates(clientCertificate())
                                .addTlsCertificates(clientCertificate()))
                        .build())))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("at most one client certificate");
        assertThatThrownBy(() -> ClusterTranslator.translate(Envoy.edsCluster(CLUSTER)
                        .setTransportSocket(TransportSocket.newBuilder()
                                .setName("envoy.transport_sockets.raw_buffer")
                                .setTypedConfig(Any.pack(UpstreamTlsContext.getDefaultInstance())))
                        .build()))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("transport_socket.name");
    }
}
