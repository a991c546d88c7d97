package io.ambientjava.istiod.translate;

import io.fabric8.istio.api.api.security.v1beta1.Condition;
import io.fabric8.istio.api.api.security.v1beta1.Operation;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.api.security.v1beta1.RuleFrom;
import io.fabric8.istio.api.api.security.v1beta1.RuleTo;
import io.fabric8.istio.api.api.security.v1beta1.Source;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The AuthorizationPolicy attributes only a proxy that parses HTTP can check (ztunnel cannot): {@code hosts},
 * {@code methods}, {@code paths}, {@code requestPrincipals}, {@code remoteIpBlocks} (and their {@code not} forms) and
 * every {@code when} key but the connection-level ones.
 */
public final class L7Attributes {

    private static final Set<String> L4_CONDITION_KEYS =
            Set.of("source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port");

    private L7Attributes() {}

    /** The HTTP-only attributes any rule of the policy uses, by name. */
    public static Set<String> of(AuthorizationPolicy policy) {
        Set<String> found = new TreeSet<>();
        if (policy.getSpec() != null && policy.getSpec().getRules() != null) {
            for (Rule rule : policy.getSpec().getRules()) {
                found.addAll(of(rule));
            }
        }
        return found;
    }

    /** The HTTP-only attributes one rule uses, by name. */
    public static Set<String> of(Rule rule) {
        Set<String> found = new TreeSet<>();
        if (rule == null) {
            return found;
        }
        for (RuleTo to : rule.getTo() == null ? List.<RuleTo>of() : rule.getTo()) {
            Operation op = to.getOperation() == null ? new Operation() : to.getOperation();
            note(op.getHosts(), "hosts", found);
            note(op.getNotHosts(), "notHosts", found);
            note(op.getMethods(), "methods", found);
            note(op.getNotMethods(), "notMethods", found);
            note(op.getPaths(), "paths", found);
            note(op.getNotPaths(), "notPaths", found);
        }
        for (RuleFrom from : rule.getFrom() == null ? List.<RuleFrom>of() : rule.getFrom()) {
            Source source = from.getSource() == null ? new Source() : from.getSource();
            note(source.getRemoteIpBlocks(), "remoteIpBlocks", found);
            note(source.getNotRemoteIpBlocks(), "notRemoteIpBlocks", found);
            note(source.getRequestPrincipals(), "requestPrincipals", found);
            note(source.getNotRequestPrincipals(), "notRequestPrincipals", found);
        }
        for (Condition when : rule.getWhen() == null ? List.<Condition>of() : rule.getWhen()) {
            if (!isL4Condition(when.getKey())) {
                found.add(when.getKey());
            }
        }
        return found;
    }

    static boolean isL4Condition(String key) {
        return L4_CONDITION_KEYS.contains(key);
    }

    private static void note(List<String> values, String field, Set<String> found) {
        if (values != null && !values.isEmpty()) {
            found.add(field);
        }
    }
}
