package io.ambientjava.ztunnel.state.policy;

import static io.ambientjava.ztunnel.state.TestData.pod;
import static io.ambientjava.ztunnel.state.TestData.policy;
import static io.ambientjava.ztunnel.state.TestData.strictMtls;
import static io.ambientjava.ztunnel.state.policy.MatchTest.alt;
import static io.ambientjava.ztunnel.state.policy.MatchTest.client;
import static io.ambientjava.ztunnel.state.policy.MatchTest.plaintext;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.config.LocalConfigLoader;
import io.ambientjava.ztunnel.state.IpLiterals;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.state.policy.Authorization.Action;
import io.ambientjava.ztunnel.state.policy.Authorization.Scope;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AuthorizationEvaluatorTest {

    private static final Match FROM_CLIENT = Match.builder()
            .principals(StringMatch.exact("cluster.local/ns/default/sa/client"))
            .build();
    private static final Match PORT_9090 =
            Match.builder().destinationPorts(9090).build();

    private static AuthorizationDecision evaluate(InboundConnection c, Authorization... policies) {
        return AuthorizationEvaluator.evaluate(List.of(policies), c);
    }

    private static Authorization allow(String name, Match match) {
        return policy("default", name, Scope.NAMESPACE, Action.ALLOW, match);
    }

    private static Authorization deny(String name, Match match) {
        return policy("default", name, Scope.NAMESPACE, Action.DENY, match);
    }

    private static Authorization dryRun(Authorization p) {
        return new Authorization(p.name(), p.namespace(), p.scope(), p.action(), p.rules(), true);
    }

    @Test
    void noPoliciesAllow() {
        AuthorizationDecision d = evaluate(plaintext());
        assertThat(d.allowed()).isTrue();
        assertThat(d.reason()).isEqualTo("no allow policies apply");
        assertThat(d.withDryRun()).isEmpty();
    }

    @Test
    void anyMatchingDenyDenies() {
        AuthorizationDecision d = evaluate(alt(), deny("no-9090", PORT_9090));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).isEqualTo("denied by policy default/no-9090");
        assertThat(d.enforced().policy()).contains("default/no-9090");
        assertThat(evaluate(client(), deny("no-9090", PORT_9090)).allowed()).isTrue();
    }

    @Test
    void denyWinsOverAMatchingAllow() {
        Match everyone = Match.builder().sourceIps("0.0.0.0/0").build();
        AuthorizationDecision d = evaluate(alt(), allow("everyone", everyone), deny("no-9090", PORT_9090));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).isEqualTo("denied by policy default/no-9090");
    }

    @Test
    void whenAllowPoliciesExistOneMustMatch() {
        Authorization onlyClient = allow("only-client", FROM_CLIENT);
        AuthorizationDecision allowed = evaluate(client(), onlyClient);
        assertThat(allowed.allowed()).isTrue();
        assertThat(allowed.reason()).isEqualTo("allowed by policy default/only-client");

        for (InboundConnection other : List.of(plaintext(), alt())) {
            AuthorizationDecision denied = evaluate(
                    other,
                    onlyClient,
                    allow("port-9091", Match.builder().destinationPorts(9091).build()));
            assertThat(denied.allowed()).isFalse();
            assertThat(denied.reason()).isEqualTo("allow policies exist but none matched");
            assertThat(denied.enforced().policy()).isEmpty();
        }
        assertThat(evaluate(alt(), onlyClient, allow("port-9090", PORT_9090)).allowed())
                .isTrue();
    }

    @Test
    void ruleClauseAndMatchNesting() {
        Match nsDefault =
                Match.builder().namespaces(StringMatch.exact("default")).build();
        Match nsOther = Match.builder().namespaces(StringMatch.exact("other")).build();
        Match port8080 = Match.builder().destinationPorts(8080).build();
        // one rule: (namespace default OR other) AND port 8080
        Authorization nested = new Authorization(
                "nested",
                "default",
                Scope.NAMESPACE,
                Action.ALLOW,
                List.of(Rule.of(Clause.of(nsDefault, nsOther), Clause.of(port8080))),
                false);
        assertThat(evaluate(client(), nested).allowed()).isTrue();
        assertThat(evaluate(alt(), nested).allowed()).isFalse(); // right namespace, wrong port
        assertThat(evaluate(plaintext(), nested).allowed()).isFalse(); // no namespace

        // two rules: either one
        Authorization either = new Authorization(
                "either",
                "default",
                Scope.NAMESPACE,
                Action.ALLOW,
                List.of(Rule.of(nsDefault), Rule.of(nsOther)),
                false);
        assertThat(evaluate(client(), either).allowed()).isTrue();
        assertThat(evaluate(alt(), either).allowed()).isTrue();
        assertThat(evaluate(plaintext(), either).allowed()).isFalse();
    }

    @Test
    void emptyShapesFollowUpstream() {
        Authorization noRules =
                new Authorization("allow-nothing", "default", Scope.NAMESPACE, Action.ALLOW, List.of(), false);
        assertThat(noRules.matches(client())).isFalse();
        assertThat(evaluate(client(), noRules).allowed()).isFalse();

        Authorization emptyRule =
                new Authorization("allow-all", "default", Scope.NAMESPACE, Action.ALLOW, List.of(Rule.of()), false);
        assertThat(emptyRule.matches(plaintext())).isTrue();

        Authorization emptyClause = new Authorization(
                "allow-all-2", "default", Scope.NAMESPACE, Action.ALLOW, List.of(Rule.of(Clause.of())), false);
        assertThat(emptyClause.matches(plaintext())).isTrue();

        Authorization emptyMatch = new Authorization(
                "nothing",
                "default",
                Scope.NAMESPACE,
                Action.DENY,
                List.of(Rule.of(Match.builder().build())),
                false);
        assertThat(emptyMatch.matches(plaintext())).isFalse();
    }

    @Test
    void dryRunPoliciesAreReportedNotEnforced() {
        Authorization wouldDeny = dryRun(deny("would-deny", PORT_9090));
        AuthorizationDecision d = evaluate(alt(), wouldDeny);
        assertThat(d.allowed()).isTrue();
        assertThat(d.reason()).isEqualTo("no allow policies apply");
        assertThat(d.withDryRun()).hasValueSatisfying(v -> {
            assertThat(v.allowed()).isFalse();
            assertThat(v.reason()).isEqualTo("denied by policy default/would-deny");
        });
        assertThat(d.dryRunWouldChange()).isTrue();

        // a dry-run ALLOW does not make "allow policies exist" for enforcement
        AuthorizationDecision onlyDryAllow = evaluate(alt(), dryRun(allow("would-allow-client", FROM_CLIENT)));
        assertThat(onlyDryAllow.allowed()).isTrue();
        assertThat(onlyDryAllow.withDryRun().orElseThrow().reason()).isEqualTo("allow policies exist but none matched");

        // a dry-run policy that agrees with the enforced outcome changes nothing
        AuthorizationDecision agreeing = evaluate(client(), dryRun(deny("would-deny", PORT_9090)));
        assertThat(agreeing.dryRunWouldChange()).isFalse();
        assertThat(agreeing.withDryRun()).isPresent();
    }

    @Test
    void scopesDecideWhichPoliciesApply() {
        WorkloadStore store = new WorkloadStore();
        Workload plain = pod("default", "echo-0", "198.18.0.20").build();
        Workload selected = pod("default", "echo-1", "198.18.0.21")
                .authorizationPolicies(List.of("default/deny-selected"))
                .build();
        Workload elsewhere = pod("other", "db-0", "198.18.0.30").build();
        Match all = Match.builder().sourceIps("0.0.0.0/0").build();
        store.replaceAll(
                List.of(plain, selected, elsewhere),
                List.of(),
                List.of(
                        policy("default", "deny-selected", Scope.WORKLOAD_SELECTOR, Action.DENY, all),
                        policy(
                                "istio-system",
                                "global-9999",
                                Scope.GLOBAL,
                                Action.DENY,
                                Match.builder().destinationPorts(9999).build()),
                        policy("default", "ns-only-client", Scope.NAMESPACE, Action.ALLOW, FROM_CLIENT)));
        StateSnapshot s = store.snapshot();

        assertThat(decide(s, client(), plain, 8080).reason()).isEqualTo("allowed by policy default/ns-only-client");
        assertThat(decide(s, client(), selected, 8080).reason()).isEqualTo("denied by policy default/deny-selected");
        assertThat(decide(s, alt(), elsewhere, 8080).reason()).isEqualTo("no allow policies apply");
        assertThat(decide(s, alt(), elsewhere, 9999).reason()).isEqualTo("denied by policy istio-system/global-9999");
        assertThat(decide(s, client(), plain, 9999).reason()).isEqualTo("denied by policy istio-system/global-9999");
        assertThat(decide(s, alt(), plain, 8080).reason()).isEqualTo("allow policies exist but none matched");
    }

    private static AuthorizationDecision decide(StateSnapshot s, InboundConnection from, Workload to, int port) {
        InboundConnection c = new InboundConnection(
                from.sourceIdentity(), from.sourceIp(), to, to.addresses().getFirst(), port);
        return AuthorizationEvaluator.evaluate(s, c);
    }

    @Test
    void strictMtlsRefusesPlaintextOnly() {
        Workload echo = pod("default", "echo-0", "198.18.0.20")
                .authorizationPolicies(List.of("istio-system/istio_converted_static_strict"))
                .build();
        WorkloadStore store = new WorkloadStore();
        store.replaceAll(List.of(echo), List.of(), List.of(strictMtls()));
        AuthorizationDecision plain = decide(store.snapshot(), plaintext(), echo, 8080);
        assertThat(plain.allowed()).isFalse();
        assertThat(plain.reason()).isEqualTo("denied by policy istio-system/istio_converted_static_strict");
        assertThat(decide(store.snapshot(), client(), echo, 8080).allowed()).isTrue();
        assertThat(decide(store.snapshot(), alt(), echo, 8080).allowed()).isTrue();

        // a workload that does not name the policy is not affected
        Workload permissive = pod("default", "echo-1", "198.18.0.21").build();
        assertThat(decide(store.snapshot(), plaintext(), permissive, 8080).allowed())
                .isTrue();
    }

    @Test
    void shippedExampleEndToEnd() throws Exception {
        String yaml;
        try (InputStream in = getClass().getResourceAsStream("/examples/localhost.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        WorkloadStore store = new WorkloadStore();
        StateSnapshot s = store.apply(LocalConfigLoader.load("localhost.yaml", yaml));
        Workload echo1 = s.workloadAt(NetworkAddress.parse("/198.18.0.21")).orElseThrow();
        Workload echo0 = s.workloadAt(NetworkAddress.parse("/198.18.0.20")).orElseThrow();
        var clientId = Optional.of(SourceIdentity.parse("spiffe://cluster.local/ns/default/sa/client"));
        var otherId = Optional.of(SourceIdentity.parse("spiffe://cluster.local/ns/default/sa/echo"));
        var src = IpLiterals.parse("198.18.0.10");

        assertThat(evaluate(s, new InboundConnection(clientId, src, echo1, IpLiterals.parse("198.18.0.21"), 8080)))
                .isEqualTo("allowed by policy default/allow-client");
        assertThat(evaluate(
                        s, new InboundConnection(Optional.empty(), src, echo1, IpLiterals.parse("198.18.0.21"), 8080)))
                .isEqualTo("denied by policy istio-system/istio_converted_static_strict");
        assertThat(evaluate(
                        s, new InboundConnection(Optional.empty(), src, echo0, IpLiterals.parse("198.18.0.20"), 8080)))
                .isEqualTo("allow policies exist but none matched");
        assertThat(evaluate(s, new InboundConnection(otherId, src, echo0, IpLiterals.parse("198.18.0.20"), 8080)))
                .isEqualTo("allow policies exist but none matched");
        assertThat(evaluate(s, new InboundConnection(clientId, src, echo0, IpLiterals.parse("198.18.0.20"), 9999)))
                .isEqualTo("denied by policy default/deny-9999");
    }

    private static String evaluate(StateSnapshot s, InboundConnection c) {
        return AuthorizationEvaluator.evaluate(s, c).reason();
    }
}
