package io.ambientjava.istiod.translate;

import static io.ambientjava.istiod.testsupport.Configs.ambientNamespace;
import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static io.ambientjava.istiod.testsupport.Configs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.ambientjava.api.security.Action;
import io.ambientjava.api.security.Address;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Group;
import io.ambientjava.api.security.Match;
import io.ambientjava.api.security.Rules;
import io.ambientjava.api.security.Scope;
import io.ambientjava.api.security.ServiceAccountMatch;
import io.ambientjava.api.security.StringMatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PolicyTranslationTest {

    private static final StringMatch PRESENT =
            StringMatch.newBuilder().setPresence(Empty.getDefaultInstance()).build();
    private static final Authorization STATIC_STRICT = Authorization.newBuilder()
            .setName("istio_converted_static_strict")
            .setNamespace("istio-system")
            .setScope(Scope.WORKLOAD_SELECTOR)
            .setAction(Action.DENY)
            .addGroups(Group.newBuilder()
                    .addRules(Rules.newBuilder().addMatches(Match.newBuilder().addNotPrincipals(PRESENT))))
            .build();

    private final AmbientTranslator translator = new AmbientTranslator(MeshSettings.defaults());

    @Test
    void meshWideStrictPeerAuthenticationIsTheStaticStrictPolicyListedByEveryWorkload() throws IOException {
        var translation = translator.translate(snapshot(join(
                seed("04-peerauthentication-default.yaml"),
                ambientNamespace("shop"),
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"),
                pod("other", "tool", "198.18.2.5", "default", "node-b"))));
        assertThat(translation.authorizations())
                .containsOnlyKeys("istio-system/istio_converted_static_strict")
                .containsValue(STATIC_STRICT);
        assertThat(workload(translation, "shop", "web-0").getAuthorizationPoliciesList())
                .containsExactly("istio-system/istio_converted_static_strict");
        assertThat(workload(translation, "other", "tool").getAuthorizationPoliciesList())
                .containsExactly("istio-system/istio_converted_static_strict");
    }

    @Test
    void namespaceStrictAppliesToThatNamespaceOnlyAndNamespacePermissiveOverridesMeshStrict() throws IOException {
        String shopPermissive = """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: shop}
                spec: {mtls: {mode: PERMISSIVE}}
                """;
        var translation = translator.translate(snapshot(join(
                seed("14-peerauthentication-cart-mtls.yaml"),
                ambientNamespace("ecommerce"),
                pod("ecommerce", "cart-0", "198.18.3.5", "cart", "node-a", "app=cart"),
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"))));
        assertThat(workload(translation, "ecommerce", "cart-0").getAuthorizationPoliciesList())
                .containsExactly("istio-system/istio_converted_static_strict");
        assertThat(workload(translation, "shop", "web-0").getAuthorizationPoliciesList())
                .isEmpty();

        translation = translator.translate(snapshot(join(
                seed("04-peerauthentication-default.yaml"),
                shopPermissive,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"))));
        assertThat(workload(translation, "shop", "web-0").getAuthorizationPoliciesList())
                .isEmpty();
    }

    @Test
    void workloadStrictWithAPermissivePortBecomesAConvertedPolicyInsteadOfTheStaticOne() {
        String portException = """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: web-metrics, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  mtls: {mode: STRICT}
                  portLevelMtls:
                    "9090": {mode: PERMISSIVE}
                """;
        var translation = translator.translate(snapshot(join(
                portException,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"),
                pod("shop", "db-0", "198.18.1.6", "db", "node-a", "app=db"))));
        assertThat(translation.authorizations().get("shop/converted_peer_authentication_web-metrics"))
                .isEqualTo(Authorization.newBuilder()
                        .setName("converted_peer_authentication_web-metrics")
                        .setNamespace("shop")
                        .setScope(Scope.WORKLOAD_SELECTOR)
                        .setAction(Action.DENY)
                        .addGroups(Group.newBuilder()
                                .addRules(Rules.newBuilder()
                                        .addMatches(Match.newBuilder().addNotPrincipals(PRESENT)))
                                .addRules(Rules.newBuilder()
                                        .addMatches(Match.newBuilder().addNotDestinationPorts(9090))))
                        .build());
        assertThat(workload(translation, "shop", "web-0").getAuthorizationPoliciesList())
                .containsExactly("shop/converted_peer_authentication_web-metrics");
        assertThat(workload(translation, "shop", "db-0").getAuthorizationPoliciesList())
                .isEmpty();
    }

    @Test
    void l4AuthorizationPolicyBecomesGroupsOfAndedClausesOfOredMatches() {
        String policy = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: web-allow, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  action: ALLOW
                  rules:
                  - from:
                    - source: {principals: ["cluster.local/ns/shop/sa/frontend", "*/sa/ops"]}
                    - source: {namespaces: ["batch*"], notIpBlocks: ["198.18.9.0/24"], serviceAccounts: ["other/bot", "cron"]}
                    to:
                    - operation: {ports: ["8080"], notPorts: ["9090"]}
                    when:
                    - {key: source.ip, values: ["198.18.1.0/24"]}
                  - {}
                """;
        var translation = translator.translate(
                snapshot(join(policy, pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"))));
        assertThat(translation.warnings()).isEmpty();
        Authorization expected = Authorization.newBuilder()
                .setName("web-allow")
                .setNamespace("shop")
                .setScope(Scope.WORKLOAD_SELECTOR)
                .setAction(Action.ALLOW)
                .addGroups(Group.newBuilder()
                        .addRules(Rules.newBuilder()
                                .addMatches(Match.newBuilder()
                                        .addDestinationPorts(8080)
                                        .addNotDestinationPorts(9090)))
                        .addRules(Rules.newBuilder()
                                .addMatches(Match.newBuilder()
                                        .addPrincipals(exact("cluster.local/ns/shop/sa/frontend"))
                                        .addPrincipals(StringMatch.newBuilder().setSuffix("/sa/ops")))
                                .addMatches(Match.newBuilder()
                                        .addNotSourceIps(ip(198, 18, 9, 0, 24))
                                        .addNamespaces(StringMatch.newBuilder().setPrefix("batch"))
                                        .addServiceAccounts(ServiceAccountMatch.newBuilder()
                                                .setNamespace("other")
                                                .setServiceAccount("bot"))
                                        .addServiceAccounts(ServiceAccountMatch.newBuilder()
                                                .setNamespace("shop")
                                                .setServiceAccount("cron"))))
                        .addRules(
                                Rules.newBuilder().addMatches(Match.newBuilder().addSourceIps(ip(198, 18, 1, 0, 24)))))
                .addGroups(Group.getDefaultInstance())
                .build();
        assertThat(translation.authorizations().get("shop/web-allow")).isEqualTo(expected);
        assertThat(workload(translation, "shop", "web-0").getAuthorizationPoliciesList())
                .containsExactly("shop/web-allow");
    }

    @Test
    void scopesFollowSelectorAndRootNamespaceAndOnlySelectorPoliciesAreListedOnWorkloads() {
        String namespaceWide = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: deny-batch, namespace: shop}
                spec:
                  action: DENY
                  rules: [{from: [{source: {namespaces: [batch]}}]}]
                """;
        String meshWide = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: allow-nothing, namespace: istio-system}
                spec: {}
                """;
        String rootSelector = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: web-everywhere, namespace: istio-system}
                spec: {selector: {matchLabels: {app: web}}, rules: [{}]}
                """;
        var translation = translator.translate(snapshot(join(
                namespaceWide,
                meshWide,
                rootSelector,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"))));
        assertThat(translation.authorizations().get("shop/deny-batch").getScope())
                .isEqualTo(Scope.NAMESPACE);
        assertThat(translation.authorizations().get("shop/deny-batch").getAction())
                .isEqualTo(Action.DENY);
        assertThat(translation
                        .authorizations()
                        .get("istio-system/allow-nothing")
                        .getScope())
                .isEqualTo(Scope.GLOBAL);
        assertThat(translation
                        .authorizations()
                        .get("istio-system/allow-nothing")
                        .getGroupsList())
                .isEmpty();
        assertThat(translation
                        .authorizations()
                        .get("istio-system/web-everywhere")
                        .getScope())
                .isEqualTo(Scope.WORKLOAD_SELECTOR);
        assertThat(workload(translation, "shop", "web-0").getAuthorizationPoliciesList())
                .containsExactly("istio-system/web-everywhere");
    }

    @Test
    void l7RuleInAnAllowPolicyIsReportedAndMatchesNothing() throws IOException {
        var translation = translator.translate(snapshot(join(
                seed("05-authorizationpolicy-productpage-policy.yaml"),
                pod("default", "productpage-0", "198.18.1.30", "bookinfo-productpage", "node-a", "app=productpage"))));
        Authorization policy = translation.authorizations().get("default/productpage-policy");
        assertThat(policy.getAction()).isEqualTo(Action.ALLOW);
        assertThat(policy.getScope()).isEqualTo(Scope.WORKLOAD_SELECTOR);
        assertThat(policy.getGroupsList())
                .as("the rule needing methods/paths is left out, so nothing is allowed")
                .isEmpty();
        assertThat(workload(translation, "default", "productpage-0").getAuthorizationPoliciesList())
                .containsExactly("default/productpage-policy");
        assertThat(translation.warnings()).singleElement().satisfies(w -> {
            assertThat(w.resource().toString()).isEqualTo("AuthorizationPolicy default/productpage-policy");
            assertThat(w.message())
                    .contains("L7 rule needs a waypoint")
                    .contains("methods, paths")
                    .contains("waypoint")
                    .contains("allow nothing");
        });
    }

    @Test
    void l7ConditionsInADenyPolicyAreDroppedSoItDeniesMore() {
        String deny = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: no-admin, namespace: shop}
                spec:
                  action: DENY
                  rules:
                  - from: [{source: {namespaces: [batch]}}]
                    to: [{operation: {paths: ["/admin*"]}}]
                    when: [{key: "request.headers[x-user]", values: ["*"]}]
                """;
        var translation = translator.translate(snapshot(deny));
        assertThat(translation.authorizations().get("shop/no-admin").getGroupsList())
                .containsExactly(Group.newBuilder()
                        .addRules(Rules.newBuilder().addMatches(Match.getDefaultInstance()))
                        .addRules(
                                Rules.newBuilder().addMatches(Match.newBuilder().addNamespaces(exact("batch"))))
                        .addRules(Rules.newBuilder().addMatches(Match.getDefaultInstance()))
                        .build());
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.message())
                        .contains("paths, request.headers[x-user]")
                        .contains("deny more"));
    }

    @Test
    void seedRateLimitPoliciesAreReportedAndAllowNothing() throws IOException {
        var translation = translator.translate(snapshot(
                seed("12-authorizationpolicy-rate-limit.yaml"),
                seed("15-authorizationpolicy-product-api-rate-limit.yaml")));
        assertThat(translation.authorizations().values())
                .allSatisfy(a -> assertThat(a.getGroupsList()).isEmpty());
        assertThat(translation.warnings()).hasSize(2);
    }

    @Test
    void unsupportedActionsAndWaypointPoliciesAreNotSentToZtunnel() {
        String custom = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: ext, namespace: shop}
                spec: {action: AUDIT, rules: [{}]}
                """;
        String targeted = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: at-waypoint, namespace: shop}
                spec:
                  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
                  rules: [{to: [{operation: {methods: [GET]}}]}]
                """;
        var translation = translator.translate(snapshot(join(custom, targeted)));
        assertThat(translation.authorizations()).isEmpty();
        assertThat(translation.warnings()).singleElement().satisfies(w -> {
            assertThat(w.resource().name()).isEqualTo("ext");
            assertThat(w.message()).contains("AUDIT");
        });
    }

    private static io.ambientjava.api.workload.Workload workload(
            AmbientTranslation translation, String ns, String name) {
        return translation.addresses().get("Kubernetes//Pod/" + ns + "/" + name).getWorkload();
    }

    private static StringMatch exact(String value) {
        return StringMatch.newBuilder().setExact(value).build();
    }

    private static Address ip(int a, int b, int c, int d, int length) {
        return Address.newBuilder()
                .setAddress(ByteString.copyFrom(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}))
                .setLength(length)
                .build();
    }

    private static String seed(String name) throws IOException {
        return Files.readString(Path.of("src/test/resources/seed-examples", name));
    }
}
