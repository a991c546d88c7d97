package io.ambientjava.istiod.config.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.yaml.ResourceFileParser.ParsedFile;
import io.ambientjava.istiod.config.yaml.ResourceFileParser.Refused;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ResourceFileParserTest {

    private final ResourceFileParser parser = new ResourceFileParser();

    @Test
    void everySeedExampleParsesWithoutProblems() throws IOException {
        Path folder = Path.of("src/test/resources/seed-examples");
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).hasSize(15);
        for (Path file : files) {
            ParsedFile parsed = parser.parse(file.getFileName(), Files.readString(file));
            assertThat(parsed.problems()).as(file.toString()).isEmpty();
            assertThat(parsed.accepted()).as(file.toString()).hasSize(1);
        }
    }

    @Test
    void readsEveryDocumentOfAFileAndDefaultsTheNamespace() {
        ParsedFile parsed = parser.parse(Path.of("mesh.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: shop
                  labels: {istio.io/dataplane-mode: ambient}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web-0, labels: {app: web}}
                spec:
                  serviceAccountName: web
                  nodeName: node-a
                  containers: [{name: app, image: web, ports: [{name: http, containerPort: 8080}]}]
                status: {podIP: 198.18.1.5}
                ---
                # only a comment
                """);
        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.complete()).isTrue();
        assertThat(parsed.accepted())
                .extracting(r -> r.key())
                .containsExactly(
                        new ResourceKey(ResourceKind.NAMESPACE, "", "shop"),
                        new ResourceKey(ResourceKind.POD, "default", "web-0"));
        Pod pod = parsed.accepted().get(1).as(Pod.class);
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("default");
        assertThat(pod.getStatus().getPodIP()).isEqualTo("198.18.1.5");
        assertThat(parsed.accepted().get(1).location().document()).isEqualTo(2);
    }

    @Test
    void typoInAFieldNameIsAnErrorNamingFileDocumentResourceAndPath() {
        ParsedFile parsed = parser.parse(Path.of("pa.yaml"), """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: ok, namespace: shop}
                spec: {mtls: {mode: STRICT}}
                ---
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: typo, namespace: shop}
                spec:
                  mtls:
                    mod: STRICT
                """);
        assertThat(parsed.accepted()).hasSize(1);
        assertThat(parsed.accepted()
                        .getFirst()
                        .as(PeerAuthentication.class)
                        .getSpec()
                        .getMtls()
                        .getMode())
                .isEqualTo(PeerAuthenticationMutualTLSMode.STRICT);
        assertThat(parsed.problems()).singleElement().satisfies(problem -> {
            assertThat(problem.isError()).isTrue();
            assertThat(problem.location().file()).isEqualTo(Path.of("pa.yaml"));
            assertThat(problem.location().document()).isEqualTo(2);
            assertThat(problem.resource()).isEqualTo("PeerAuthentication shop/typo");
            assertThat(problem.fieldPath()).isEqualTo("spec.mtls.mod");
            assertThat(problem.reason()).contains("unknown field 'mod'").contains("did you mean 'mode'");
            assertThat(problem.message())
                    .isEqualTo("error: pa.yaml (document 2): PeerAuthentication shop/typo: spec.mtls.mod: "
                            + problem.reason());
        });
        assertThat(parsed.outcomes().get(1))
                .isEqualTo(new Refused(
                        parsed.outcomes().get(1).location(),
                        Optional.of(new ResourceKey(ResourceKind.PEER_AUTHENTICATION, "shop", "typo"))));
    }

    @Test
    void unknownEnumValueIsAnError() {
        ParsedFile parsed = parser.parse(Path.of("pa.yaml"), """
                apiVersion: security.istio.io/v1beta1
                kind: PeerAuthentication
                metadata: {name: bad}
                spec: {mtls: {mode: STRICTT}}
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.fieldPath()).isEqualTo("spec.mtls.mode");
            assertThat(p.reason()).contains("'STRICTT'").contains("STRICT").contains("PERMISSIVE");
        });
    }

    @Test
    void wrongTypeIsAnErrorWithThePath() {
        ParsedFile parsed = parser.parse(Path.of("svc.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  ports:
                  - port: [80]
                """);
        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.resource()).isEqualTo("Service shop/web");
            assertThat(p.fieldPath()).isEqualTo("spec.ports[0].port");
        });
    }

    @Test
    void semanticErrorsNameTheField() {
        ParsedFile parsed = parser.parse(Path.of("bad.yaml"), """
                apiVersion: v1
                kind: Pod
                metadata: {name: web-0, namespace: shop}
                spec:
                  containers: [{name: app, ports: [{containerPort: 70000}]}]
                status: {podIP: not-an-ip}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: Web_Svc, namespace: shop}
                spec: {clusterIP: 198.19.300.1, ports: [{port: 80, targetPort: 0}]}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: ap, namespace: shop}
                spec:
                  rules:
                  - from: [{source: {ipBlocks: [198.18.0.0/33]}}]
                    to: [{operation: {ports: ["http"]}}]
                    when: [{key: source.colour, values: [red]}]
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems())
                .extracting(p -> p.location().document() + " " + p.fieldPath())
                .containsExactlyInAnyOrder(
                        "1 spec.containers[0].ports[0].containerPort",
                        "1 status.podIP",
                        "2 metadata.name",
                        "2 spec.clusterIP",
                        "2 spec.ports[0].targetPort",
                        "3 spec.rules[0].from[0].source.ipBlocks[0]",
                        "3 spec.rules[0].to[0].operation.ports[0]",
                        "3 spec.rules[0].when[0].key");
        assertThat(parsed.problems()).allMatch(ConfigProblem::isError);
    }

    @Test
    void yamlSyntaxErrorStopsTheFileAndSaysWhere() {
        ParsedFile parsed = parser.parse(Path.of("broken.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: [unclosed
                """);
        assertThat(parsed.complete()).isFalse();
        assertThat(parsed.accepted()).hasSize(1);
        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.location().document()).isEqualTo(2);
            assertThat(p.reason()).startsWith("YAML syntax error at line");
        });
    }

    @Test
    void unknownKindIsIgnoredWithAWarningAndUnservedVersionIsAnError() {
        ParsedFile parsed = parser.parse(Path.of("mixed.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                ---
                apiVersion: security.istio.io/v2
                kind: PeerAuthentication
                metadata: {name: x}
                ---
                kind: Pod
                metadata: {name: y}
                ---
                - just
                - a list
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems())
                .extracting(p -> p.severity() + " " + p.location().document() + " " + p.fieldPath())
                .containsExactly("WARNING 1 kind", "ERROR 2 apiVersion", "ERROR 3 apiVersion", "ERROR 4 ");
        assertThat(parsed.problems().get(1).reason()).contains("served: v1, v1beta1");
    }

    @Test
    void duplicateKeysInAMappingAreRefused() {
        ParsedFile parsed = parser.parse(Path.of("dup.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: a, name: b}
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems())
                .singleElement()
                .satisfies(p -> assertThat(p.reason()).contains("Duplicate field 'name'"));
    }

    @Test
    void customActionIsRefusedWithItsFieldPath() {
        ParsedFile parsed = parser.parse(Path.of("ext.yaml"), """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: ext, namespace: shop}
                spec:
                  action: CUSTOM
                  provider: {name: opa}
                  rules: [{to: [{operation: {paths: ["/admin"]}}]}]
                """);
        // The provider parses (a known oneof member); the action itself is what we cannot enforce.
        assertThat(parsed.problems()).singleElement().satisfies(p -> {
            assertThat(p.fieldPath()).isEqualTo("spec.action");
            assertThat(p.reason()).contains("CUSTOM is not supported");
        });
        assertThat(parsed.accepted()).isEmpty();
    }
}
