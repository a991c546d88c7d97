package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The AuthorizationPolicies bound to one waypoint listener as Envoy {@code envoy.filters.http.rbac} filters, as istiod
 * builds them: one filter per action present, in the order AUDIT (action LOG: records, never denies), DENY, ALLOW.
 * Each filter holds one RBAC policy per rule, named {@code ns[<ns>]-policy[<name>]-rule[<i>]}. An ALLOW policy
 * without rules allows nothing; once any ALLOW filter exists, a request no ALLOW rule matches is denied (Envoy's
 * ALLOW semantics). CUSTOM is refused at validation; one that gets here anyway is reported and skipped.
 */
final class RbacTranslator {

    /** The filters, and whether any rule reads the JWT (so a RequestAuthentication must apply). */
    record Result(List<HttpFilter> filters, boolean usesJwt) {}

    private final String trustDomain;

    RbacTranslator(String trustDomain) {
        this.trustDomain = trustDomain;
    }

    /** {@code policies} oldest first; {@code warnTo} gives the warning sink of each policy. */
    Result translate(
            List<AuthorizationPolicy> policies,
            Function<AuthorizationPolicy, java.util.function.Consumer<String>> warnTo) {
        Map<RBAC.Action, Map<String, Policy>> byAction = new LinkedHashMap<>();
        byAction.put(RBAC.Action.LOG, new LinkedHashMap<>());
        byAction.put(RBAC.Action.DENY, new LinkedHashMap<>());
        byAction.put(RBAC.Action.ALLOW, new LinkedHashMap<>());
        boolean[] present = new boolean[3];
        boolean usesJwt = false;
        for (AuthorizationPolicy policy : policies) {
            var spec = policy.getSpec();
            AuthorizationPolicyAction declared =
                    spec == null || spec.getAction() == null ? AuthorizationPolicyAction.ALLOW : spec.getAction();
            var warn = warnTo.apply(policy);
            RBAC.Action action;
            switch (declared) {
                case AUDIT -> action = RBAC.Action.LOG;
                case DENY -> action = RBAC.Action.DENY;
                case ALLOW -> action = RBAC.Action.ALLOW;
                default -> {
                    warn.accept("the " + declared + " action is not supported; the policy is not enforced");
                    continue;
                }
            }
            present[action.getNumber()] = true;
            String namespace = policy.getMetadata().getNamespace();
            String name = policy.getMetadata().getName();
            RbacRules rules = new RbacRules(trustDomain, namespace, action != RBAC.Action.DENY, warn);
            List<Rule> list = spec == null || spec.getRules() == null ? List.of() : spec.getRules();
            List<Policy> translated = new ArrayList<>();
            try {
                for (Rule rule : list) {
                    translated.add(rules.translate(rule == null ? new Rule() : rule));
                }
            } catch (IllegalArgumentException e) {
                warn.accept("cannot be translated for the waypoint (" + e.getMessage() + "); "
                        + (action == RBAC.Action.DENY ? "it denies every request" : "it matches nothing"));
                translated.clear();
                if (action == RBAC.Action.DENY) {
                    translated.add(Policy.newBuilder()
                            .addPermissions(RbacMatchers.anyPermission())
                            .addPrincipals(RbacMatchers.anyPrincipal())
                            .build());
                }
            }
            for (int i = 0; i < translated.size(); i++) {
                byAction.get(action)
                        .put("ns[" + namespace + "]-policy[" + name + "]-rule[" + i + "]", translated.get(i));
            }
            usesJwt |= rules.usesJwt();
        }
        List<HttpFilter> filters = new ArrayList<>();
        for (var entry : byAction.entrySet()) {
            if (!present[entry.getKey().getNumber()]) {
                continue;
            }
            RBAC rules = RBAC.newBuilder()
                    .setAction(entry.getKey())
                    .putAllPolicies(entry.getValue())
                    .build();
            var config = io.envoyproxy
                    .envoy
                    .extensions
                    .filters
                    .http
                    .rbac
                    .v3
                    .RBAC
                    .newBuilder()
                    .setRules(rules);
            filters.add(HttpFilter.newBuilder()
                    .setName(EnvoyNames.RBAC_FILTER)
                    .setTypedConfig(Any.pack(config.build()))
                    .build());
        }
        return new Result(filters, usesJwt);
    }
}
