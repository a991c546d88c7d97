package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import org.junit.jupiter.api.Test;

/** Gateway API BackendTLSPolicy as the TLS a waypoint originates to the Service it targets. */
class BackendTlsPoliciesTest {

    private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";

    private static final String LEDGER = """
            apiVersion: v1
            kind: Service
            metadata: {name: ledger, namespace: default}
            spec:
              clusterIP: 198.19.0.41
              selector: {app: ratings}
              ports: [{name: https, port: 443}, {name: admin, port: 8443}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: ledger-ca, namespace: default}
            data:
              ca.crt: |
                -----BEGIN CERTIFICATE-----
                MIIC
                -----END CERTIFICATE-----
            """;

    private static String policy(String name, String target, String validation) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: BackendTLSPolicy
                metadata: {name: %s, namespace: default}
                spec:
                  targetRefs: [%s]
                  validation: %s
                """.formatted(name, target, validation);
    }

    private static Cluster cluster(EnvoyTranslation translation, int port) {
        return waypoint(translation).clusters().get("outbound|" + port + "||ledger.default.svc.cluster.local");
    }

    private static UpstreamTlsContext tlsOf(Cluster cluster) throws Exception {
        assertThat(cluster.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
        return cluster.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    }

    @Test
    void theHostnameIsTheServerNameToSendAndToFindInTheCertificateOfTheConfigMapsCa() throws Exception {
        var translation = translate(with(
                LEDGER,
                policy(
                        "ledger-tls",
                        "{group: \"\", kind: Service, name: ledger, sectionName: https}",
                        "{hostname: ledger.example.com, caCertificateRefs: [{group: \"\", kind: ConfigMap,"
                                + " name: ledger-ca}]}")));
        UpstreamTlsContext tls = tlsOf(cluster(translation, 443));
        assertThat(tls.getSni()).isEqualTo("ledger.example.com");
        var validation = tls.getCommonTlsContext().getValidationContext();
        assertThat(validation.getTrustedCa().getInlineBytes().toStringUtf8()).isEqualTo(CA);
        assertThat(validation.getMatchTypedSubjectAltNamesList())
                .extracting(
                        SubjectAltNameMatcher::getSanType, m -> m.getMatcher().getExact())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(SubjectAltNameMatcher.SanType.DNS, "ledger.example.com"));
        assertThat(cluster(translation, 8443).hasTransportSocket())
                .as("sectionName https: the admin port is left alone")
                .isFalse();
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void systemCasAndListedNamesAndADestinationRulesOwnTlsFirst() throws Exception {
        String system = policy(
                "ledger-tls",
                "{group: \"\", kind: Service, name: ledger}",
                "{hostname: ledger.example.com, wellKnownCACertificates: System, subjectAltNames:"
                        + " [{type: URI, uri: \"spiffe://example.com/ledger\"}, {type: Hostname, hostname: api.example.com}]}");
        UpstreamTlsContext tls = tlsOf(cluster(translate(with(LEDGER, system)), 8443));
        var validation = tls.getCommonTlsContext().getValidationContext();
        assertThat(validation.getTrustedCa().getFilename()).isEqualTo("/etc/ssl/certs/ca-certificates.crt");
        assertThat(validation.getMatchTypedSubjectAltNamesList())
                .extracting(
                        SubjectAltNameMatcher::getSanType, m -> m.getMatcher().getExact())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                SubjectAltNameMatcher.SanType.URI, "spiffe://example.com/ledger"),
                        org.assertj.core.groups.Tuple.tuple(SubjectAltNameMatcher.SanType.DNS, "api.example.com"));
        String rule = """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: ledger, namespace: default}
                spec:
                  host: ledger
                  trafficPolicy: {tls: {mode: SIMPLE, sni: from-the-rule.example.com, insecureSkipVerify: true}}
                """;
        assertThat(tlsOf(cluster(translate(with(LEDGER, system, rule)), 443)).getSni())
                .isEqualTo("from-the-rule.example.com");
    }

    @Test
    void aPolicyThatCannotBeHonouredIsReportedAndTheOldestOfTwoWins() throws Exception {
        String missing = policy(
                "ledger-tls",
                "{group: \"\", kind: Service, name: ledger}",
                "{hostname: ledger.example.com, caCertificateRefs: [{group: \"\", kind: ConfigMap, name: absent}]}");
        var translation = translate(with(LEDGER, missing));
        assertThat(cluster(translation, 443).hasTransportSocket()).isFalse();
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString())
                        .startsWith("BackendTLSPolicy default/ledger-tls:")
                        .contains("absent")
                        .contains("no TLS is originated"));

        String older = policy(
                        "a-older",
                        "{group: \"\", kind: Service, name: ledger}",
                        "{hostname: older.example.com, wellKnownCACertificates: System}")
                .replace("namespace: default}", "namespace: default, creationTimestamp: \"2026-01-01T00:00:00Z\"}");
        String newer = policy(
                        "b-newer",
                        "{group: \"\", kind: Service, name: ledger}",
                        "{hostname: newer.example.com, wellKnownCACertificates: System}")
                .replace("namespace: default}", "namespace: default, creationTimestamp: \"2026-06-01T00:00:00Z\"}");
        assertThat(tlsOf(cluster(translate(with(LEDGER, newer, older)), 443)).getSni())
                .isEqualTo("older.example.com");
    }
}
