package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.config.ListenerTranslator;
import io.ambientjava.waypoint.config.UnsupportedConfigException;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS on a plain (ingress) listener: a filter chain with {@code envoy.transport_sockets.tls} and an inline
 * certificate and key, as a gateway's Secret gives them. openssl makes the keys, curl is the client.
 */
@RequiresCommand({"curl", "openssl"})
class IngressTlsTest {

    private static final String HOSTNAME = "bookinfo.example";
    private static final String CLUSTER = "outbound|80|v1|" + TestBed.HOST;
    private static final String HTTP1 = "HTTP/1.1";

    @TempDir
    Path dir;

    private final TestBed bed = new TestBed();
    private final TestUpstream v1 = bed.upstream("v1");

    @AfterEach
    void close() {
        bed.close();
    }

    /** A self-signed certificate for {@link #HOSTNAME}; {@code keyKind} picks the key's PEM form. */
    private void certificate(String keyKind) throws Exception {
        LocalCommands.selfSigned(dir, "tls", HOSTNAME, keyKind);
    }

    private String pem(String file) throws IOException {
        return Files.readString(dir.resolve(file), StandardCharsets.US_ASCII);
    }

    private static TransportSocket tlsSocket(String chain, String key, String... alpn) {
        return TransportSocket.newBuilder()
                .setName("envoy.transport_sockets.tls")
                .setTypedConfig(Any.pack(DownstreamTlsContext.newBuilder()
                        .setCommonTlsContext(CommonTlsContext.newBuilder()
                                .addTlsCertificates(TlsCertificate.newBuilder()
                                        .setCertificateChain(
                                                DataSource.newBuilder().setInlineBytes(ByteString.copyFromUtf8(chain)))
                                        .setPrivateKey(DataSource.newBuilder().setInlineString(key)))
                                .addAllAlpnProtocols(List.of(alpn)))
                        .build()))
                .build();
    }

    private static Listener httpsListener(TransportSocket socket) {
        Listener plain = Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST);
        return plain.toBuilder()
                .setFilterChains(0, plain.getFilterChains(0).toBuilder().setTransportSocket(socket))
                .build();
    }

    private void serve(TransportSocket socket) {
        bed.cluster(Envoy.edsCluster(CLUSTER).build(), v1);
        bed.push(httpsListener(socket));
        bed.push(Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(Route.newBuilder()
                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                        .setRoute(RouteAction.newBuilder().setCluster(CLUSTER))
                        .build())));
    }

    /** curl to {@code path} at {@link #HOSTNAME}, trusting tls.crt; {@code options} as curl takes them. */
    private String curl(String path, String... options) throws Exception {
        String[] all = java.util.Arrays.copyOf(options, options.length + 2);
        all[options.length] = "-w";
        all[options.length + 1] = " %{http_version}";
        return LocalCommands.curlHttps(dir, "tls", HOSTNAME, bed.listener.port(), path, all);
    }

    @Test
    void curlVerifiesTheCertificateAndIsAnsweredOverHttp11AndHttp2() throws Exception {
        certificate("pkcs8-rsa");
        serve(tlsSocket(pem("tls.crt"), pem("tls.key")));

        assertThat(curl("/productpage", "--http1.1")).isEqualTo("v1 GET /productpage\n 1.1");
        assertThat(curl("/reviews", "--http2")).isEqualTo("v1 GET /reviews\n 2");
        assertThat(bed.records).hasSize(2);
        // h2 picked by ALPN is the client's TLS stack talking, not a choice for the backend: HTTP/1.1 upstream
        // (the cluster sets no http2_protocol_options), as at Istio's gateways
        assertThat(v1.seen).extracting(TestUpstream.Seen::protocol).containsExactly(HTTP1, HTTP1);
    }

    @Test
    void keysInTheFormsKubernetesSecretsHoldAreTaken() throws Exception {
        for (String kind : List.of("pkcs1-rsa", "sec1-ec")) {
            certificate(kind);
            serve(tlsSocket(pem("tls.crt"), pem("tls.key"), "http/1.1"));
            assertThat(curl("/" + kind)).as(kind).isEqualTo("v1 GET /" + kind + "\n 1.1");
        }
    }

    @Test
    void aVirtualHostRequiringTlsRedirectsPlainHttpToHttpsAndServesHttps() throws Exception {
        certificate("pkcs8-rsa");
        var routes = Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(Envoy.prefixRoute("/", CLUSTER).build()))
                .toBuilder();
        routes.setVirtualHosts(
                0,
                routes.getVirtualHosts(0).toBuilder()
                        .setRequireTls(io.envoyproxy.envoy.config.route.v3.VirtualHost.TlsRequirementType.ALL));
        bed.cluster(Envoy.edsCluster(CLUSTER).build(), v1);
        bed.push(Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST)); // plain HTTP first
        bed.push(routes.build());

        String redirected = LocalCommands.curlHttp(
                dir,
                HOSTNAME,
                bed.listener.port(),
                "/productpage?u=normal",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{redirect_url}");
        assertThat(redirected)
                .isEqualTo("301 https://" + HOSTNAME + ":" + bed.listener.port() + "/productpage?u=normal");
        assertThat(v1.seen).isEmpty();

        bed.push(httpsListener(tlsSocket(pem("tls.crt"), pem("tls.key"))));
        assertThat(curl("/productpage", "--http1.1")).isEqualTo("v1 GET /productpage\n 1.1");
    }

    /** One filter chain per certificate, chosen by the client's SNI; {@code names} empty: the default chain. */
    private static Listener sniListener(List<String> names, TransportSocket... sockets) {
        Listener plain = Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST);
        Listener.Builder listener = plain.toBuilder().clearFilterChains();
        for (int i = 0; i < sockets.length; i++) {
            var chain = plain.getFilterChains(0).toBuilder().setTransportSocket(sockets[i]);
            if (i < names.size()) {
                chain.setFilterChainMatch(io.envoyproxy.envoy.config.listener.v3.FilterChainMatch.newBuilder()
                        .addServerNames(names.get(i)));
            }
            listener.addFilterChains(chain);
        }
        return listener.build();
    }

    private String curlAs(String hostname, String ca) throws Exception {
        return LocalCommands.curlHttps(dir, ca, hostname, bed.listener.port(), "/by-sni", "--http1.1");
    }

    @Test
    void eachServerNameGetsItsOwnCertificateAndOthersTheDefaultOrNone() throws Exception {
        LocalCommands.selfSigned(dir, "shop", "shop.example", "pkcs8-rsa");
        LocalCommands.selfSigned(dir, "admin", "admin.example.org", "sec1-ec");
        LocalCommands.selfSigned(dir, "tls", HOSTNAME, "pkcs8-rsa");
        TransportSocket shop = tlsSocket(pem("shop.crt"), pem("shop.key"));
        TransportSocket admin = tlsSocket(pem("admin.crt"), pem("admin.key"));
        bed.cluster(Envoy.edsCluster(CLUSTER).build(), v1);
        bed.push(Envoy.routes(
                TestBed.HOST + ":" + TestBed.PORT,
                List.of(Envoy.prefixRoute("/", CLUSTER).build())));
        bed.push(sniListener(List.of("shop.example", "*.example.org"), shop, admin));

        assertThat(curlAs("shop.example", "shop")).isEqualTo("v1 GET /by-sni\n");
        assertThat(curlAs("admin.example.org", "admin")).as("by the wildcard").isEqualTo("v1 GET /by-sni\n");
        assertThat(curlAs("shop.example", "admin"))
                .as("the shop name is not served the admin certificate")
                .doesNotContain("v1 GET");
        assertThat(curlAs(HOSTNAME, "tls"))
                .as("no chain for the name and no default chain: the connection is closed at once")
                .doesNotContain("v1 GET")
                .doesNotContain("timed out");

        bed.push(sniListener(
                List.of("shop.example", "*.example.org"), shop, admin, tlsSocket(pem("tls.crt"), pem("tls.key"))));
        assertThat(curlAs(HOSTNAME, "tls")).as("the default chain").isEqualTo("v1 GET /by-sni\n");
        assertThat(curlAs("shop.example", "shop")).isEqualTo("v1 GET /by-sni\n");
    }

    @Test
    void mutualTlsAdmitsOnlyClientsWithACertificateFromTheTrustedCa() throws Exception {
        certificate("pkcs8-rsa");
        LocalCommands.selfSigned(dir, "clientca", "client-ca", "sec1-ec");
        LocalCommands.issuedBy(dir, "clientca", "alice", "alice");
        LocalCommands.selfSigned(dir, "mallory", "mallory", "sec1-ec");
        TransportSocket plainTls = tlsSocket(pem("tls.crt"), pem("tls.key"), "http/1.1");
        DownstreamTlsContext.Builder mutual = plainTls.getTypedConfig().unpack(DownstreamTlsContext.class).toBuilder()
                .setRequireClientCertificate(com.google.protobuf.BoolValue.of(true));
        mutual.getCommonTlsContextBuilder()
                .setValidationContext(
                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext
                                .newBuilder()
                                .setTrustedCa(DataSource.newBuilder().setInlineString(pem("clientca.crt"))));
        serve(plainTls.toBuilder().setTypedConfig(Any.pack(mutual.build())).build());

        assertThat(curl("/mtls", "--cert", "alice.crt", "--key", "alice.key")).isEqualTo("v1 GET /mtls\n 1.1");
        assertThat(curl("/no-cert")).as("no client certificate").doesNotContain("v1 GET");
        assertThat(curl("/other-ca", "--cert", "mallory.crt", "--key", "mallory.key"))
                .as("a certificate from another CA")
                .doesNotContain("v1 GET");
        assertThat(v1.seen).extracting(TestUpstream.Seen::uri).containsExactly("/mtls");
    }

    /** Istio's MUTUAL {@code tls.subjectAltNames}: of the CA's clients, only those with a listed name get in. */
    @Test
    void mutualTlsWithAllowedNamesAdmitsOnlyTheClientsNamed() throws Exception {
        certificate("pkcs8-rsa");
        LocalCommands.selfSigned(dir, "clientca", "client-ca", "sec1-ec");
        LocalCommands.issuedBy(dir, "clientca", "alice", "alice", "URI:spiffe://cluster.local/ns/shop/sa/alice");
        LocalCommands.issuedBy(dir, "clientca", "bob", "bob", "URI:spiffe://cluster.local/ns/shop/sa/bob");
        LocalCommands.issuedBy(dir, "clientca", "carol", "carol", "DNS:carol.shop.example");
        LocalCommands.issuedBy(dir, "clientca", "nameless", "nameless");
        TransportSocket plainTls = tlsSocket(pem("tls.crt"), pem("tls.key"), "http/1.1");
        DownstreamTlsContext.Builder mutual = plainTls.getTypedConfig().unpack(DownstreamTlsContext.class).toBuilder()
                .setRequireClientCertificate(com.google.protobuf.BoolValue.of(true));
        mutual.getCommonTlsContextBuilder()
                .setValidationContext(
                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext
                                .newBuilder()
                                .setTrustedCa(DataSource.newBuilder().setInlineString(pem("clientca.crt")))
                                .addMatchTypedSubjectAltNames(sanMatcher(
                                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher
                                                .SanType.URI,
                                        "spiffe://cluster.local/ns/shop/sa/alice"))
                                .addMatchTypedSubjectAltNames(sanMatcher(
                                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher
                                                .SanType.DNS,
                                        "carol.shop.example")));
        serve(plainTls.toBuilder().setTypedConfig(Any.pack(mutual.build())).build());

        assertThat(curl("/alice", "--cert", "alice.crt", "--key", "alice.key")).isEqualTo("v1 GET /alice\n 1.1");
        assertThat(curl("/carol", "--cert", "carol.crt", "--key", "carol.key")).isEqualTo("v1 GET /carol\n 1.1");
        assertThat(curl("/bob", "--cert", "bob.crt", "--key", "bob.key"))
                .as("same CA, a name not listed")
                .doesNotContain("v1 GET");
        assertThat(curl("/nameless", "--cert", "nameless.crt", "--key", "nameless.key"))
                .as("same CA, no names at all")
                .doesNotContain("v1 GET");
        assertThat(v1.seen).extracting(TestUpstream.Seen::uri).containsExactly("/alice", "/carol");
    }

    /**
     * Istio's MUTUAL {@code verifyCertificateHash} / {@code verifyCertificateSpki}: of the CA's clients, only a pinned
     * certificate (its SHA-256 as openssl prints the fingerprint) or key (base64 SHA-256 of its SubjectPublicKeyInfo).
     */
    @Test
    void mutualTlsWithPinnedCertificatesAdmitsOnlyThosePinned() throws Exception {
        certificate("pkcs8-rsa");
        LocalCommands.selfSigned(dir, "clientca", "client-ca", "sec1-ec");
        LocalCommands.issuedBy(dir, "clientca", "alice", "alice");
        LocalCommands.issuedBy(dir, "clientca", "carol", "carol");
        LocalCommands.issuedBy(dir, "clientca", "bob", "bob");
        String aliceHash = LocalCommands.run(
                        dir, "openssl", "x509", "-in", "alice.crt", "-noout", "-fingerprint", "-sha256")
                .strip()
                .replaceFirst(".*=", "");
        String carolSpki = LocalCommands.run(
                        dir,
                        "sh",
                        "-c",
                        "openssl x509 -in carol.crt -pubkey -noout | openssl pkey -pubin -outform der"
                                + " | openssl dgst -sha256 -binary | base64")
                .strip();
        TransportSocket plainTls = tlsSocket(pem("tls.crt"), pem("tls.key"), "http/1.1");
        DownstreamTlsContext.Builder mutual = plainTls.getTypedConfig().unpack(DownstreamTlsContext.class).toBuilder()
                .setRequireClientCertificate(com.google.protobuf.BoolValue.of(true));
        mutual.getCommonTlsContextBuilder()
                .setValidationContext(
                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext
                                .newBuilder()
                                .setTrustedCa(DataSource.newBuilder().setInlineString(pem("clientca.crt")))
                                .addVerifyCertificateHash(aliceHash)
                                .addVerifyCertificateSpki(carolSpki));
        serve(plainTls.toBuilder().setTypedConfig(Any.pack(mutual.build())).build());

        assertThat(curl("/alice", "--cert", "alice.crt", "--key", "alice.key")).isEqualTo("v1 GET /alice\n 1.1");
        assertThat(curl("/carol", "--cert", "carol.crt", "--key", "carol.key")).isEqualTo("v1 GET /carol\n 1.1");
        assertThat(curl("/bob", "--cert", "bob.crt", "--key", "bob.key"))
                .as("same CA, not pinned")
                .doesNotContain("v1 GET");
        assertThat(v1.seen).extracting(TestUpstream.Seen::uri).containsExactly("/alice", "/carol");

        DownstreamTlsContext.Builder badPin = mutual.clone();
        badPin.getCommonTlsContextBuilder().getValidationContextBuilder().addVerifyCertificateHash("AB:CD");
        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(plainTls.toBuilder()
                        .setTypedConfig(Any.pack(badPin.build()))
                        .build())))
                .hasMessageContaining("validation_context.verify_certificate_hash[1]")
                .hasMessageContaining("not a hex SHA-256 digest");
        DownstreamTlsContext.Builder badSpki = mutual.clone();
        badSpki.getCommonTlsContextBuilder().getValidationContextBuilder().addVerifyCertificateSpki("bm90IDMyIGJ5dGVz");
        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(plainTls.toBuilder()
                        .setTypedConfig(Any.pack(badSpki.build()))
                        .build())))
                .hasMessageContaining("validation_context.verify_certificate_spki[1]")
                .hasMessageContaining("not a base64 SHA-256 digest of 32 bytes");
    }

    private static io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher sanMatcher(
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType type, String exact) {
        return io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.newBuilder()
                .setSanType(type)
                .setMatcher(io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder()
                        .setExact(exact))
                .build();
    }

    @Test
    void requiringClientCertificatesWithoutATrustedCaIsRefusedByField() throws Exception {
        certificate("pkcs8-rsa");
        TransportSocket plainTls = tlsSocket(pem("tls.crt"), pem("tls.key"));
        DownstreamTlsContext asking = plainTls.getTypedConfig().unpack(DownstreamTlsContext.class).toBuilder()
                .setRequireClientCertificate(com.google.protobuf.BoolValue.of(true))
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(
                        plainTls.toBuilder().setTypedConfig(Any.pack(asking)).build())))
                .hasMessageContaining("require_client_certificate")
                .hasMessageContaining("trusted_ca");
    }

    @Test
    void plainHttpToATlsListenerGetsNoAnswer() throws Exception {
        certificate("pkcs8-rsa");
        serve(tlsSocket(pem("tls.crt"), pem("tls.key")));

        String out = LocalCommands.run(
                dir, "curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + bed.listener.port() + "/");
        assertThat(out).doesNotContain("v1 GET");
        assertThat(bed.records).isEmpty();
    }

    @Test
    void aKeyOfAnotherCertificateIsRefusedNamingTheField() throws Exception {
        certificate("pkcs8-rsa");
        String cert = pem("tls.crt");
        certificate("sec1-ec");
        Listener mismatched = httpsListener(tlsSocket(cert, pem("tls.key")));

        assertThatThrownBy(() -> ListenerTranslator.translate(mismatched))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining(
                        "filter_chains[0].transport_socket.typed_config.common_tls_context" + ".tls_certificates[0]")
                .hasMessageContaining("does not belong to the certificate CN=" + HOSTNAME);
    }

    @Test
    void malformedOrMissingPemAndUnsupportedTlsFieldsAreRefusedByField() throws Exception {
        certificate("pkcs8-rsa");
        String cert = pem("tls.crt");
        String key = pem("tls.key");

        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(tlsSocket("not a pem", key))))
                .hasMessageContaining("tls_certificates[0].certificate_chain");
        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(
                        tlsSocket(cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))))
                .hasMessageContaining("tls_certificates[0].private_key");
        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(tlsSocket(cert, ""))))
                .hasMessageContaining("tls_certificates[0].private_key: needs inline_bytes or inline_string");

        TransportSocket requireSni = TransportSocket.newBuilder()
                .setName("envoy.transport_sockets.tls")
                .setTypedConfig(Any.pack(DownstreamTlsContext.newBuilder()
                        .setRequireSni(com.google.protobuf.BoolValue.of(true))
                        .build()))
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(requireSni)))
                .hasMessageContaining("unsupported field")
                .hasMessageContaining("require_sni");
        DownstreamTlsContext.Builder sanMatching =
                tlsSocket(cert, key).getTypedConfig().unpack(DownstreamTlsContext.class).toBuilder();
        sanMatching
                .getCommonTlsContextBuilder()
                .setValidationContext(
                        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext
                                .newBuilder()
                                .setTrustedCa(DataSource.newBuilder().setInlineString(cert))
                                .addMatchTypedSubjectAltNames(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3
                                        .SubjectAltNameMatcher.getDefaultInstance()));
        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(tlsSocket(cert, key).toBuilder()
                        .setTypedConfig(Any.pack(sanMatching.build()))
                        .build())))
                .as("a matcher without a name type")
                .hasMessageContaining("validation_context.match_typed_subject_alt_names[0].san_type")
                .hasMessageContaining("DNS, URI, EMAIL and IP_ADDRESS are supported");
        TransportSocket other = tlsSocket(cert, key).toBuilder()
                .setName("envoy.transport_sockets.raw_buffer")
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(httpsListener(other)))
                .hasMessageContaining("only envoy.transport_sockets.tls is supported");
    }
}
