package io.ambientjava.istiod.translate;

import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static io.ambientjava.istiod.testsupport.Configs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.api.security.Action;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Group;
import io.ambientjava.api.security.Match;
import io.ambientjava.api.security.Rules;
import io.ambientjava.api.security.ServiceAccountMatch;
import io.ambientjava.api.security.StringMatch;
import io.ambientjava.istiod.config.ConfigSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Selector AuthorizationPolicies with HTTP attributes on workloads a waypoint serves: ztunnel's L4 form lets the
 * waypoint (which enforces the L7 rules) through and still refuses everyone else.
 */
class SelectorPolicyAtWaypointTest {

    private static final String WAYPOINT = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: waypoint, namespace: default}
            spec:
              gatewayClassName: istio-waypoint
              listeners: [{name: mesh, port: 15008, protocol: HBONE}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: waypoint, namespace: default, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
            spec: {clusterIP: 198.19.0.2, ports: [{name: mesh, port: 15008}]}
            """;
    private static final ServiceAccountMatch WAYPOINT_ACCOUNT = ServiceAccountMatch.newBuilder()
            .setNamespace("default")
            .setServiceAccount("waypoint")
            .build();

    private final AmbientTranslator translator = new AmbientTranslator(MeshSettings.defaults());

    private static String service(String name, String vip, String labels) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: default%s}
                spec: {clusterIP: %s, selector: {app: %s}, ports: [{name: http, port: 9080}]}
                """.formatted(name, labels.isEmpty() ? "" : ", labels: {" + labels + "}", vip, name);
    }

    private static String namespace(String labels) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata: {name: default, labels: {istio.io/dataplane-mode: ambient%s}}
                """.formatted(labels);
    }

    private static final String PRODUCTPAGE_POD =
            pod("default", "productpage-0", "198.18.1.30", "bookinfo-productpage", "node-a", "app=productpage");

    private static ConfigSnapshot mesh(String... extra) {
        List<String> docs = new ArrayList<>(List.of(WAYPOINT, PRODUCTPAGE_POD));
        docs.addAll(List.of(extra));
        return snapshot(join(docs.toArray(String[]::new)));
    }

    private static String seed(String name) {
        try {
            return Files.readString(Path.of("src/test/resources/seed-examples", name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Group fromWaypointOnly() {
        return fromWaypointOnly(WAYPOINT_ACCOUNT, 9080);
    }

    private static Group fromWaypointOnly(ServiceAccountMatch account, Integer... ports) {
        return Group.newBuilder()
                .addRules(Rules.newBuilder().addMatches(Match.newBuilder().addServiceAccounts(account)))
                .addRules(Rules.newBuilder().addMatches(Match.newBuilder().addAllDestinationPorts(List.of(ports))))
                .build();
    }

    @Test
    void seed05BehindANamespaceWaypointAllowsOnlyTheWaypointAtZtunnel() {
        var translation = translator.translate(mesh(
                namespace(", istio.io/use-waypoint: waypoint"),
                service("productpage", "198.19.0.23", ""),
                seed("05-authorizationpolicy-productpage-policy.yaml")));
        Authorization policy = translation.authorizations().get("default/productpage-policy");
        assertThat(policy.getAction()).isEqualTo(Action.ALLOW);
        assertThat(policy.getGroupsList()).containsExactly(fromWaypointOnly());
        assertThat(translation.warnings())
                .filteredOn(w -> w.resource().toString().equals("AuthorizationPolicy default/productpage-policy"))
                .singleElement()
                .satisfies(w -> assertThat(w.message())
                        .contains("L7 rules (methods, paths) enforced at waypoint default/waypoint (for"
                                + " default/productpage)")
                        .contains("allows the waypoint's identity (default/waypoint)")
                        // a client calling productpage-0 by its own address meets no waypoint
                        .contains("also reachable without a waypoint, by their own address or through a Service"
                                + " without one (default/productpage-0): those rules allow nothing for them at"
                                + " ztunnel (stricter than written)"));
    }

    @Test
    void theWaypointIdentityIsTheServiceAccountOfItsPodsWhenTheyAreKnown() {
        var translation = translator.translate(mesh(
                namespace(""),
                service("productpage", "198.19.0.23", "istio.io/use-waypoint: waypoint"),
                pod(
                        "default",
                        "waypoint-abc",
                        "198.18.1.2",
                        "waypoint-sa",
                        "node-a",
                        "gateway.networking.k8s.io/gateway-name=waypoint"),
                seed("12-authorizationpolicy-rate-limit.yaml")));
        assertThat(translation.authorizations().get("default/rate-limit").getGroupsList())
                .containsExactly(fromWaypointOnly(
                        WAYPOINT_ACCOUNT.toBuilder()
                                .setServiceAccount("waypoint-sa")
                                .build(),
                        9080));
    }

    @Test
    void theWaypointIsLetThroughOnlyToThePodPortsItServesOverHttp() {
        String service = """
                apiVersion: v1
                kind: Service
                metadata: {name: productpage, namespace: default}
                spec:
                  clusterIP: 198.19.0.23
                  selector: {app: productpage}
                  ports:
                  - {name: http, port: 80, targetPort: http}
                  - {name: tcp-db, port: 5432, targetPort: 15432}
                  - {name: admin, appProtocol: https, port: 443, targetPort: 8443}
                """;
        var translation = translator.translate(snapshot(join(
                WAYPOINT,
                PRODUCTPAGE_POD,
                namespace(", istio.io/use-waypoint: waypoint"),
                service,
                seed("05-authorizationpolicy-productpage-policy.yaml"))));
        // through the waypoint's TCP listeners (5432, 443) nothing checks methods and paths: still nothing allowed
        assertThat(translation
                        .authorizations()
                        .get("default/productpage-policy")
                        .getGroupsList())
                .containsExactly(fromWaypointOnly(WAYPOINT_ACCOUNT, 8080));
    }

    @Test
    void withoutAWaypointTheRuleAllowsNothingAndIsReported() {
        var translation = translator.translate(mesh(
                namespace(""),
                service("productpage", "198.19.0.23", ""),
                seed("15-authorizationpolicy-product-api-rate-limit.yaml"),
                seed("05-authorizationpolicy-productpage-policy.yaml")));
        assertThat(translation
                        .authorizations()
                        .get("default/productpage-policy")
                        .getGroupsList())
                .isEmpty();
        assertThat(translation.warnings())
                .filteredOn(w -> w.resource().toString().equals("AuthorizationPolicy default/productpage-policy"))
                .singleElement()
                .satisfies(w -> assertThat(w.message())
                        .contains("L7 rule needs a waypoint")
                        .contains("no waypoint serves the selected workloads")
                        .contains("allow nothing: stricter than written"));
    }

    @Test
    void aPodAlsoReachedThroughAServiceWithoutWaypointKeepsTheStrictFormForItAndSaysSo() {
        var translation = translator.translate(mesh(
                namespace(""),
                service("productpage", "198.19.0.23", "istio.io/use-waypoint: waypoint"),
                service("productpage", "198.19.0.24", "")
                        .replace("name: productpage", "name: productpage-direct")
                        .replace("app: productpage-direct", "app: productpage"),
                seed("05-authorizationpolicy-productpage-policy.yaml")));
        // the waypoint is still let through; direct callers get nothing from the L7 rule (stricter than written)
        assertThat(translation
                        .authorizations()
                        .get("default/productpage-policy")
                        .getGroupsList())
                .containsExactly(fromWaypointOnly());
        assertThat(translation.warnings())
                .filteredOn(w -> w.resource().toString().equals("AuthorizationPolicy default/productpage-policy"))
                .singleElement()
                .satisfies(w -> assertThat(w.message())
                        .contains("without one (default/productpage-0)")
                        .contains("stricter than written"));
    }

    /**
     * A Service's waypoint does not stand in front of the pod's own address: a caller by address must still meet the
     * DENY rule, so ztunnel keeps it without its HTTP conditions for everyone but the waypoint (stricter than
     * written for such callers, never looser).
     */
    @Test
    void aDenyRuleWithHttpConditionsStaysForCallersThatBypassTheServicesWaypoint() {
        String deny = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: no-debug, namespace: default}
                spec:
                  selector: {matchLabels: {app: productpage}}
                  action: DENY
                  rules:
                  - when: [{key: "request.headers[x-debug]", values: ["*"]}]
                  - from: [{source: {namespaces: [batch]}}]
                """;
        var translation = translator.translate(
                mesh(namespace(", istio.io/use-waypoint: waypoint"), service("productpage", "198.19.0.23", ""), deny));
        Group notFromWaypoint = Group.newBuilder()
                .addRules(Rules.newBuilder().addMatches(Match.getDefaultInstance()))
                .addRules(Rules.newBuilder().addMatches(Match.newBuilder().addNotServiceAccounts(WAYPOINT_ACCOUNT)))
                .build();
        Group fromBatch = Group.newBuilder()
                .addRules(Rules.newBuilder()
                        .addMatches(Match.newBuilder()
                                .addNamespaces(StringMatch.newBuilder().setExact("batch"))))
                .addRules(Rules.newBuilder().addMatches(Match.newBuilder().addNotServiceAccounts(WAYPOINT_ACCOUNT)))
                .build();
        assertThat(translation.authorizations().get("default/no-debug").getGroupsList())
                .containsExactly(notFromWaypoint, fromBatch);
        assertThat(translation.warnings())
                .filteredOn(w -> w.resource().toString().equals("AuthorizationPolicy default/no-debug"))
                .singleElement()
                .satisfies(w -> assertThat(w.message())
                        .contains("keeps the DENY rules that use them without them for callers other than the"
                                + " waypoint")
                        .contains("(default/productpage-0): they are denied more"));
    }

    /** With a waypoint of its own (workload traffic) every way to the pod checks the rule: ztunnel leaves it out. */
    @Test
    void aDenyRuleWithHttpConditionsIsLeftToThePodsOwnWaypoint() {
        String deny = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: no-debug, namespace: default}
                spec:
                  selector: {matchLabels: {app: reviews}}
                  action: DENY
                  rules:
                  - when: [{key: "request.headers[x-debug]", values: ["*"]}]
                  - from: [{source: {namespaces: [batch]}}]
                """;
        var translation = translator.translate(snapshot(join(
                namespace(""), waypointFor("pod-waypoint", "workload", "198.19.0.3"), boundPod("pod-waypoint"), deny)));
        assertThat(translation.authorizations().get("default/no-debug").getGroupsList())
                .containsExactly(Group.newBuilder()
                        .addRules(Rules.newBuilder()
                                .addMatches(Match.newBuilder()
                                        .addNamespaces(StringMatch.newBuilder().setExact("batch"))))
                        .addRules(Rules.newBuilder()
                                .addMatches(Match.newBuilder().addNotServiceAccounts(POD_WAYPOINT_ACCOUNT)))
                        .build());
        assertThat(warningsOf(translation, "default/no-debug"))
                .singleElement()
                .satisfies(w -> assertThat(w).contains("leaves the DENY rules that use them out"));
    }

    @Test
    void aDenyRuleOnAPartlyCoveredWorkloadIsKeptForCallersOtherThanTheWaypoint() {
        String deny = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: no-debug, namespace: default}
                spec:
                  selector: {matchLabels: {app: productpage}}
                  action: DENY
                  rules: [{when: [{key: "request.headers[x-debug]", values: ["*"]}]}]
                """;
        var translation = translator.translate(mesh(
                namespace(""),
                service("productpage", "198.19.0.23", "istio.io/use-waypoint: waypoint"),
                service("productpage", "198.19.0.24", "")
                        .replace("name: productpage", "name: productpage-direct")
                        .replace("app: productpage-direct", "app: productpage"),
                deny));
        assertThat(translation.authorizations().get("default/no-debug").getGroupsList())
                .containsExactly(Group.newBuilder()
                        .addRules(Rules.newBuilder().addMatches(Match.getDefaultInstance()))
                        .addRules(Rules.newBuilder()
                                .addMatches(Match.newBuilder().addNotServiceAccounts(WAYPOINT_ACCOUNT)))
                        .build());
    }

    @Test
    void anAuditSelectorPolicyIsLoggedByTheWaypointAndNotSentToZtunnel() {
        String audit = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: audit, namespace: default}
                spec:
                  selector: {matchLabels: {app: productpage}}
                  action: AUDIT
                  rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
                """;
        var translation = translator.translate(
                mesh(namespace(", istio.io/use-waypoint: waypoint"), service("productpage", "198.19.0.23", ""), audit));
        assertThat(translation.authorizations()).doesNotContainKey("default/audit");
        assertThat(translation.warnings())
                .filteredOn(w -> w.resource().toString().equals("AuthorizationPolicy default/audit"))
                .singleElement()
                .satisfies(w -> assertThat(w.message()).contains("enforced at waypoint default/waypoint"));
    }

    /** The waypoint {@code default/<name>} for the given traffic, with its own Service for an address. */
    private static String waypointFor(String name, String traffic, String vip) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: %1$s, namespace: default, labels: {istio.io/waypoint-for: %2$s}}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: %1$s, namespace: default, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
                spec: {clusterIP: %3$s, ports: [{name: mesh, port: 15008}]}
                """.formatted(name, traffic, vip);
    }

    /** A pod selected by {@link #GET_ONLY}, bound by its own label to {@code default/<waypoint>}. */
    private static String boundPod(String waypoint) {
        return pod(
                "default",
                "reviews-0",
                "198.18.1.40",
                "bookinfo-reviews",
                "node-a",
                "app=reviews",
                "istio.io/use-waypoint=" + waypoint);
    }

    private static final String GET_ONLY = """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: get-only, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              action: ALLOW
              rules: [{to: [{operation: {methods: [GET]}}]}]
            """;

    private static final ServiceAccountMatch POD_WAYPOINT_ACCOUNT =
            WAYPOINT_ACCOUNT.toBuilder().setServiceAccount("pod-waypoint").build();

    private static Group fromWaypointToEveryPortBut(ServiceAccountMatch account, Integer... notPorts) {
        Group.Builder group = Group.newBuilder()
                .addRules(Rules.newBuilder().addMatches(Match.newBuilder().addServiceAccounts(account)));
        if (notPorts.length > 0) {
            group.addRules(
                    Rules.newBuilder().addMatches(Match.newBuilder().addAllNotDestinationPorts(List.of(notPorts))));
        }
        return group.build();
    }

    private static List<String> warningsOf(AmbientTranslation translation, String policy) {
        return translation.warnings().stream()
                .filter(w -> w.resource().toString().equals("AuthorizationPolicy " + policy))
                .map(TranslationWarning::message)
                .toList();
    }

    @Test
    void aPodBoundToAWorkloadWaypointLetsThatWaypointThroughOnEveryPort() {
        var translation = translator.translate(snapshot(join(
                namespace(""),
                waypointFor("pod-waypoint", "workload", "198.19.0.3"),
                boundPod("pod-waypoint"),
                GET_ONLY)));
        // the pod has no Service: its own traffic goes through the waypoint's inbound-pod chain, on any port
        assertThat(translation.authorizations().get("default/get-only").getGroupsList())
                .containsExactly(fromWaypointToEveryPortBut(POD_WAYPOINT_ACCOUNT));
        assertThat(warningsOf(translation, "default/get-only"))
                .singleElement()
                .satisfies(w -> assertThat(w)
                        .contains("enforced at waypoint default/pod-waypoint (for pod default/reviews-0)")
                        .contains("allows the waypoint's identity (default/pod-waypoint) to every port")
                        .doesNotContain("needs a waypoint")
                        .doesNotContain("stricter"));
    }

    @Test
    void aServiceWaypointNamedOnlyByThePodLabelServesNothingSoTheRuleStillAllowsNothing() {
        var translation = translator.translate(snapshot(join(
                namespace(""),
                waypointFor("pod-waypoint", "service", "198.19.0.3"),
                boundPod("pod-waypoint"),
                GET_ONLY)));
        assertThat(translation.authorizations().get("default/get-only").getGroupsList())
                .isEmpty();
        assertThat(warningsOf(translation, "default/get-only"))
                .singleElement()
                .satisfies(
                        w -> assertThat(w).contains("L7 rule needs a waypoint").contains("allow nothing"));
    }

    @Test
    void aPodWithAServiceWaypointAndAWorkloadWaypointLetsEachThroughWhereItChecksTheRules() {
        var translation = translator.translate(snapshot(join(
                namespace(""),
                WAYPOINT,
                waypointFor("pod-waypoint", "workload", "198.19.0.3"),
                boundPod("pod-waypoint"),
                service("reviews", "198.19.0.25", "istio.io/use-waypoint: waypoint"),
                GET_ONLY)));
        assertThat(translation.authorizations().get("default/get-only").getGroupsList())
                .containsExactly(fromWaypointOnly(), fromWaypointToEveryPortBut(POD_WAYPOINT_ACCOUNT));
        assertThat(warningsOf(translation, "default/get-only"))
                .singleElement()
                .satisfies(w -> assertThat(w)
                        .contains("enforced at waypoint default/pod-waypoint (for pod default/reviews-0), waypoint"
                                + " default/waypoint (for default/reviews)")
                        .contains("(default/waypoint to ports [9080]; default/pod-waypoint to every port)"));
    }

    @Test
    void aWaypointForAllTrafficIsNotLetThroughToThePodPortsItReachesThroughTcpListeners() {
        String service = """
                apiVersion: v1
                kind: Service
                metadata: {name: reviews, namespace: default}
                spec:
                  clusterIP: 198.19.0.25
                  selector: {app: reviews}
                  ports:
                  - {name: http, port: 80, targetPort: http}
                  - {name: tcp-db, port: 5432, targetPort: 15432}
                """;
        var translation = translator.translate(snapshot(join(
                namespace(", istio.io/use-waypoint: pod-waypoint"),
                waypointFor("pod-waypoint", "all", "198.19.0.3"),
                pod("default", "reviews-0", "198.18.1.40", "bookinfo-reviews", "node-a", "app=reviews"),
                service,
                GET_ONLY)));
        // its service listener for 5432 passes bytes without the L7 rules; on the pod's chain it checks every port
        assertThat(translation.authorizations().get("default/get-only").getGroupsList())
                .containsExactly(fromWaypointToEveryPortBut(POD_WAYPOINT_ACCOUNT, 15432));
        assertThat(warningsOf(translation, "default/get-only"))
                .singleElement()
                .satisfies(w -> assertThat(w)
                        .contains("waypoint default/pod-waypoint (for default/reviews, pod default/reviews-0)")
                        .contains("(default/pod-waypoint) to every port but [15432]"));
    }
}
