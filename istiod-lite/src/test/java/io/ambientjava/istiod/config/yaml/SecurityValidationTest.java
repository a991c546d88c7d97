package io.ambientjava.istiod.config.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.ConfigProblem;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** AuthorizationPolicy and RequestAuthentication values the waypoint cannot use are refused, naming the field. */
class SecurityValidationTest {

    private final ResourceFileParser parser = new ResourceFileParser();

    @Test
    void badAuthorizationPolicyValuesAreErrorsWithTheirPaths() {
        var parsed = parser.parse(Path.of("ap.yaml"), """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: bad, namespace: shop}
                spec:
                  targetRefs: [{kind: Service, group: "", name: reviews}]
                  rules:
                  - from: [{source: {ipBlocks: ["198.18.0.0/33"], remoteIpBlocks: ["not-an-ip"]}}]
                    when:
                    - {key: "request.auth.claims[]", values: [x]}
                    - {key: "request.auth.claims[groups", values: [x]}
                    - {key: "request.auth.claims[a]b", values: [x]}
                    - {key: "request.headers[]", values: [x]}
                    - {key: "request.auth.claims[groups][team]", values: [x]}
                    - {key: "source.ip", values: ["198.18.0.1/40"]}
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems())
                .extracting(ConfigProblem::fieldPath)
                .containsExactlyInAnyOrder(
                        "spec.rules[0].from[0].source.ipBlocks[0]",
                        "spec.rules[0].from[0].source.remoteIpBlocks[0]",
                        "spec.rules[0].when[0].key",
                        "spec.rules[0].when[1].key",
                        "spec.rules[0].when[2].key",
                        "spec.rules[0].when[3].key",
                        "spec.rules[0].when[5].values[0]");
        assertThat(parsed.problems())
                .anySatisfy(p -> assertThat(p.message()).contains("'198.18.0.0/33' is not an IP address or CIDR"))
                .anySatisfy(p -> assertThat(p.message())
                        .contains("'request.auth.claims[]'")
                        .contains("request.auth.claims[<claim>]"))
                .anySatisfy(p -> assertThat(p.message()).contains("'request.auth.claims[a]b'"));
    }

    @Test
    void customActionIsRefused() {
        var parsed = parser.parse(Path.of("ap.yaml"), """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: ext, namespace: shop}
                spec:
                  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
                  action: CUSTOM
                  provider: {name: opa}
                  rules: [{to: [{operation: {paths: ["/admin"]}}]}]
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.fieldPath()).isEqualTo("spec.action");
            assertThat(p.message()).contains("CUSTOM is not supported");
        });
    }

    @Test
    void badRequestAuthenticationValuesAreErrorsWithTheirPaths() {
        var parsed = parser.parse(Path.of("ra.yaml"), """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: jwt, namespace: shop}
                spec:
                  targetRefs: [{kind: Service, group: "", name: reviews}]
                  jwtRules:
                  - {jwksUri: "https://issuer.example/jwks"}
                  - {issuer: a, jwks: "{}", jwksUri: "https://issuer.example/jwks"}
                  - {issuer: b, jwksUri: "ftp://issuer.example/jwks", timeout: soon}
                  - issuer: c
                    jwks: "{}"
                    fromHeaders: [{prefix: "Bearer "}]
                    outputClaimToHeaders: [{claim: sub}]
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems())
                .extracting(ConfigProblem::fieldPath)
                .containsExactlyInAnyOrder(
                        "spec.jwtRules[0].issuer",
                        "spec.jwtRules[1].jwks",
                        "spec.jwtRules[2].jwksUri",
                        "spec.jwtRules[2].timeout",
                        "spec.jwtRules[3].fromHeaders[0].name",
                        "spec.jwtRules[3].outputClaimToHeaders[0].header");
        assertThat(parsed.problems())
                .anySatisfy(p -> assertThat(p.message()).contains("jwks and jwksUri cannot both be set"))
                .anySatisfy(p -> assertThat(p.message()).contains("'ftp://issuer.example/jwks' is not an http"));
    }

    @Test
    void aGoodRequestAuthenticationIsAccepted() {
        var parsed = parser.parse(Path.of("ra.yaml"), """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: jwt, namespace: shop}
                spec:
                  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
                  jwtRules:
                  - issuer: https://accounts.google.com
                    jwksUri: https://www.googleapis.com/oauth2/v3/certs
                    audiences: [shop]
                    timeout: 3s
                """);
        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.accepted()).hasSize(1);
    }
}
