package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** A DestinationRule's {@code tls} (SIMPLE, MUTUAL) as the TLS a waypoint originates: the cluster's transport socket. */
class UpstreamTlsSettingsTest {

    private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
    private static final String CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final String KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

    /** A service of its own (the Bookinfo ones have a DestinationRule already, which a second one merges into). */
    private static final String LEDGER = """
            apiVersion: v1
            kind: Service
            metadata: {name: ledger, namespace: default}
            spec: {clusterIP: 198.19.0.41, selector: {app: ratings}, ports: [{name: http, port: 9080}]}
            """;

    private static String rule(String tls) {
        return LEDGER + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ledger-tls, namespace: default}
                spec:
                  host: ledger
                  trafficPolicy:
                    tls: %s
                """.formatted(tls);
    }

    private static String secret(String name, String... entries) {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < entries.length; i += 2) {
            data.append("  ")
                    .append(entries[i])
                    .append(": ")
                    .append(Base64.getEncoder().encodeToString(entries[i + 1].getBytes(StandardCharsets.US_ASCII)))
                    .append('\n');
        }
        return """
                apiVersion: v1
                kind: Secret
                metadata: {name: %s, namespace: default}
                data:
                %s""".formatted(name, data);
    }

    private static Cluster ratings(EnvoyTranslation translation) {
        return waypoint(translation).clusters().get("outbound|9080||ledger.default.svc.cluster.local");
    }

    private static UpstreamTlsContext tlsOf(Cluster cluster) throws Exception {
        assertThat(cluster.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
        return cluster.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    }

    @Test
    void simpleTlsChecksTheServerAgainstTheSystemCasByDefaultWithTheNamesAndSniAsked() throws Exception {
        var translation = translate(
                with(rule("{mode: SIMPLE, sni: ratings.example.com, subjectAltNames: [ratings.example.com]}")));
        UpstreamTlsContext tls = tlsOf(ratings(translation));
        assertThat(tls.getSni()).isEqualTo("ratings.example.com");
        var validation = tls.getCommonTlsContext().getValidationContext();
        assertThat(validation.getTrustedCa().getFilename()).isEqualTo("/etc/ssl/certs/ca-certificates.crt");
        assertThat(validation.getMatchTypedSubjectAltNamesList())
                .extracting(
                        SubjectAltNameMatcher::getSanType, m -> m.getMatcher().getExact())
                .contains(
                        org.assertj.core.groups.Tuple.tuple(SubjectAltNameMatcher.SanType.DNS, "ratings.example.com"),
                        org.assertj.core.groups.Tuple.tuple(SubjectAltNameMatcher.SanType.URI, "ratings.example.com"));
        assertThat(tls.getCommonTlsContext().getTlsCertificatesList()).isEmpty();
        assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).isEmpty();
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void mutualTlsTakesTheClientCertificateAndTheCaFromTheCredentialSecret() throws Exception {
        var translation = translate(with(
                rule("{mode: MUTUAL, credentialName: ratings-client}"),
                secret("ratings-client", "tls.crt", CERT, "tls.key", KEY, "ca.crt", CA)));
        UpstreamTlsContext tls = tlsOf(ratings(translation));
        var common = tls.getCommonTlsContext();
        assertThat(common.getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8())
                .isEqualTo(CA);
        assertThat(common.getTlsCertificates(0)
                        .getCertificateChain()
                        .getInlineBytes()
                        .toStringUtf8())
                .isEqualTo(CERT);
        assertThat(common.getTlsCertificates(0).getPrivateKey().getInlineBytes().toStringUtf8())
                .isEqualTo(KEY);
        assertThat(tls.getSni()).isEmpty();
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void filesOnTheProxyAreSentAsFileNamesAndInsecureSkipVerifyChecksNothing() throws Exception {
        UpstreamTlsContext files = tlsOf(ratings(translate(
                with(rule("{mode: MUTUAL, caCertificates: /etc/certs/ca.pem, clientCertificate: /etc/certs/cert.pem,"
                        + " privateKey: /etc/certs/key.pem}")))));
        assertThat(files.getCommonTlsContext()
                        .getValidationContext()
                        .getTrustedCa()
                        .getFilename())
                .isEqualTo("/etc/certs/ca.pem");
        assertThat(files.getCommonTlsContext()
                        .getTlsCertificates(0)
                        .getCertificateChain()
                        .getFilename())
                .isEqualTo("/etc/certs/cert.pem");
        assertThat(files.getCommonTlsContext()
                        .getTlsCertificates(0)
                        .getPrivateKey()
                        .getFilename())
                .isEqualTo("/etc/certs/key.pem");
        UpstreamTlsContext insecure = tlsOf(ratings(translate(with(rule("{mode: SIMPLE, insecureSkipVerify: true}")))));
        assertThat(insecure.getCommonTlsContext().hasValidationContext()).isFalse();
    }

    @Test
    void portLevelAndSubsetTlsOverrideTheRulesAndHboneModesOriginateNothing() throws Exception {
        String layered = LEDGER + """
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ledger-tls, namespace: default}
                spec:
                  host: ledger
                  trafficPolicy:
                    tls: {mode: ISTIO_MUTUAL}
                    portLevelSettings:
                    - port: {number: 9080}
                      tls: {mode: SIMPLE, sni: port.example.com}
                  subsets:
                  - name: tls-a
                    labels: {version: v2}
                    trafficPolicy: {tls: {mode: SIMPLE, sni: subset.example.com}}
                  - name: tls-b
                    labels: {version: v3}
                    trafficPolicy: {tls: {mode: DISABLE}}
                """;
        var translation = translate(with(layered));
        var clusters = waypoint(translation).clusters();
        assertThat(tlsOf(clusters.get("outbound|9080||ledger.default.svc.cluster.local"))
                        .getSni())
                .isEqualTo("port.example.com");
        assertThat(tlsOf(clusters.get("outbound|9080|tls-a|ledger.default.svc.cluster.local"))
                        .getSni())
                .isEqualTo("subset.example.com");
        assertThat(clusters.get("outbound|9080|tls-b|ledger.default.svc.cluster.local")
                        .hasTransportSocket())
                .isFalse();
        assertThat(translate(with(rule("{mode: ISTIO_MUTUAL}"))).warnings()).isEmpty();
        assertThat(ratings(translate(with(rule("{mode: ISTIO_MUTUAL}")))).hasTransportSocket())
                .isFalse();
    }

    @Test
    void anHttp2ServiceAsksForH2ByAlpn() throws Exception {
        String grpc = """
                apiVersion: v1
                kind: Service
                metadata: {name: ratings-grpc, namespace: default}
                spec: {clusterIP: 198.19.0.40, selector: {app: ratings}, ports: [{name: grpc, port: 9090}]}
                """;
        String rule = rule("{mode: SIMPLE}").replace("host: ledger", "host: ratings-grpc");
        Cluster cluster = waypoint(translate(with(grpc, rule)))
                .clusters()
                .get("outbound|9090||ratings-grpc.default.svc.cluster.local");
        assertThat(tlsOf(cluster).getCommonTlsContext().getAlpnProtocolsList()).containsExactly("h2");
    }

    @Test
    void whatCannotBeHonouredIsReported() throws Exception {
        var translation = translate(with(rule("{mode: MUTUAL, caCrl: /etc/crl.pem, credentialName: absent}")));
        UpstreamTlsContext tls = tlsOf(ratings(translation));
        assertThat(tls.getCommonTlsContext().getTlsCertificatesList()).isEmpty();
        assertThat(tls.getCommonTlsContext().getValidationContext().getCrl().getFilename())
                .as("caCrl: the revocation list file on the proxy")
                .isEqualTo("/etc/crl.pem");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .allSatisfy(w -> assertThat(w).startsWith("DestinationRule default/ledger-tls:"))
                .noneSatisfy(w -> assertThat(w).contains("caCrl"))
                .anySatisfy(w -> assertThat(w).contains("no ca.crt in secret default/absent"))
                .anySatisfy(w -> assertThat(w).contains("secret default/absent (credentialName) not found"));
        assertThat(translate(with(rule("{mode: MUTUAL}"))).warnings())
                .anySatisfy(w -> assertThat(w.toString()).contains("MUTUAL needs a client certificate"));
        assertThat(translate(
                                with(
                                        rule(
                                                "{mode: SIMPLE, insecureSkipVerify: true, subjectAltNames: [a.example], caCrl: /c.pem}")))
                        .warnings())
                .anySatisfy(w -> assertThat(w.toString()).contains("subjectAltNames are not checked"))
                .anySatisfy(w -> assertThat(w.toString()).contains("tls.caCrl is not checked"));
    }
}
