package io.ambientjava.ztunnel.state.policy;

import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.policy.AuthorizationDecision.Verdict;
import java.util.List;
import java.util.Optional;

/**
 * Istio's L4 authorization order, as ztunnel applies it: any matching DENY policy denies; otherwise, if ALLOW
 * policies apply, one of them must match; with no ALLOW policy the connection is allowed. Pure and lock-free: it
 * reads one immutable snapshot.
 */
public final class AuthorizationEvaluator {

    private AuthorizationEvaluator() {}

    /** Evaluates the policies that apply to the connection's destination workload in this snapshot. */
    public static AuthorizationDecision evaluate(StateSnapshot snapshot, InboundConnection connection) {
        return evaluate(snapshot.policiesFor(connection.destinationWorkload()), connection);
    }

    /** Evaluates the given applicable policies (dry-run ones are reported, not enforced). */
    public static AuthorizationDecision evaluate(List<Authorization> applicable, InboundConnection connection) {
        List<Authorization> enforced =
                applicable.stream().filter(p -> !p.dryRun()).toList();
        Verdict verdict = decide(enforced, connection);
        Optional<Verdict> withDryRun =
                enforced.size() == applicable.size() ? Optional.empty() : Optional.of(decide(applicable, connection));
        return new AuthorizationDecision(verdict, withDryRun);
    }

    private static Verdict decide(List<Authorization> policies, InboundConnection connection) {
        for (Authorization policy : policies) {
            if (policy.action() == Authorization.Action.DENY && policy.matches(connection)) {
                return Verdict.deniedBy(policy);
            }
        }
        boolean anyAllow = false;
        for (Authorization policy : policies) {
            if (policy.action() == Authorization.Action.ALLOW) {
                anyAllow = true;
                if (policy.matches(connection)) {
                    return Verdict.allowedBy(policy);
                }
            }
        }
        return anyAllow ? Verdict.noAllowMatched() : Verdict.noAllowPolicies();
    }
}
