package io.ambientjava.ztunnel.state.policy;

import java.util.List;
import java.util.Objects;

/**
 * An L4 authorization policy as ztunnel enforces it (a translated AuthorizationPolicy or PeerAuthentication). It
 * matches a connection when ANY of its rules matches; a policy without rules matches nothing (so an ALLOW policy
 * without rules allows nothing).
 *
 * @param dryRun evaluated and reported, never enforced
 */
public record Authorization(
        String name, String namespace, Scope scope, Action action, List<Rule> rules, boolean dryRun) {

    /** Which workloads a policy applies to. */
    public enum Scope {
        /** Every workload in the mesh (istiod sends this for root-namespace policies without a selector). */
        GLOBAL,
        /** Every workload in the policy's namespace. */
        NAMESPACE,
        /** Only workloads that list the policy's key in {@code authorizationPolicies}. */
        WORKLOAD_SELECTOR
    }

    public enum Action {
        ALLOW,
        DENY
    }

    public Authorization {
        if (name == null || name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("invalid policy name '" + name + "'");
        }
        if (namespace == null || namespace.isEmpty() || namespace.indexOf('/') >= 0) {
            throw new IllegalArgumentException("invalid policy namespace '" + namespace + "'");
        }
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(action, "action");
        rules = List.copyOf(rules);
    }

    /** The policy's key, {@code namespace/name}: its xDS resource name and how workloads refer to it. */
    public String key() {
        return namespace + "/" + name;
    }

    public boolean matches(InboundConnection connection) {
        return rules.stream().anyMatch(rule -> rule.matches(connection));
    }
}
