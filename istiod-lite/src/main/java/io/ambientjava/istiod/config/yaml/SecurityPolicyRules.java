package io.ambientjava.istiod.config.yaml;

import io.ambientjava.istiod.config.IpPrefix;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.ClaimToHeader;
import io.fabric8.istio.api.api.security.v1beta1.Condition;
import io.fabric8.istio.api.api.security.v1beta1.JWTHeader;
import io.fabric8.istio.api.api.security.v1beta1.JWTRule;
import io.fabric8.istio.api.api.security.v1beta1.Operation;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLS;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.api.security.v1beta1.RuleFrom;
import io.fabric8.istio.api.api.security.v1beta1.RuleTo;
import io.fabric8.istio.api.api.security.v1beta1.Source;
import io.fabric8.istio.api.api.type.v1beta1.WorkloadSelector;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.istio.api.security.v1.RequestAuthentication;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Istio's validation rules for PeerAuthentication and AuthorizationPolicy (the parts istiod-lite relies on). */
final class SecurityPolicyRules {

    private static final Set<String> EXACT_CONDITION_KEYS = Set.of(
            "source.ip",
            "remote.ip",
            "source.namespace",
            "source.principal",
            "source.serviceAccount",
            "request.auth.principal",
            "request.auth.audiences",
            "request.auth.presenter",
            "destination.ip",
            "destination.port",
            "connection.sni");
    private static final List<String> CONDITION_KEY_PREFIXES =
            List.of("request.headers[", "request.auth.claims[", "experimental.envoy.filters.");

    private static final Pattern HEADER_KEY = Pattern.compile("request\\.headers\\[[^\\[\\]]+\\]");
    private static final Pattern CLAIM_KEY = Pattern.compile("request\\.auth\\.claims(?:\\[[^\\[\\]]+\\])+");

    private SecurityPolicyRules() {}

    static void checkRequestAuthentication(RequestAuthentication resource, List<FieldIssue> issues) {
        var spec = resource.getSpec();
        if (spec == null) {
            return;
        }
        checkSelector(spec.getSelector(), issues);
        boolean targeted = spec.getTargetRef() != null
                || (spec.getTargetRefs() != null && !spec.getTargetRefs().isEmpty());
        if (targeted && spec.getSelector() != null) {
            issues.add(FieldIssue.error("spec.selector", "selector and targetRef(s) cannot both be set"));
        }
        List<JWTRule> rules = spec.getJwtRules() == null ? List.of() : spec.getJwtRules();
        for (int i = 0; i < rules.size(); i++) {
            String path = "spec.jwtRules[" + i + "]";
            JWTRule rule = rules.get(i);
            if (rule == null || rule.getIssuer() == null || rule.getIssuer().isEmpty()) {
                issues.add(FieldIssue.error(path + ".issuer", "required"));
                continue;
            }
            boolean inline = rule.getJwks() != null && !rule.getJwks().isEmpty();
            boolean remote = rule.getJwksUri() != null && !rule.getJwksUri().isEmpty();
            if (inline && remote) {
                issues.add(FieldIssue.error(path + ".jwks", "jwks and jwksUri cannot both be set"));
            }
            if (remote && !isHttpUrl(rule.getJwksUri())) {
                issues.add(FieldIssue.error(
                        path + ".jwksUri",
                        "'" + rule.getJwksUri() + "' is not an http:// or https:// URL with a host"));
            }
            try {
                io.ambientjava.istiod.config.IstioDurations.parse(rule.getTimeout());
            } catch (IllegalArgumentException e) {
                issues.add(FieldIssue.error(path + ".timeout", e.getMessage()));
            }
            var headers = rule.getFromHeaders() == null ? List.<JWTHeader>of() : rule.getFromHeaders();
            for (int h = 0; h < headers.size(); h++) {
                if (headers.get(h) == null
                        || headers.get(h).getName() == null
                        || headers.get(h).getName().isEmpty()) {
                    issues.add(FieldIssue.error(path + ".fromHeaders[" + h + "].name", "required"));
                }
            }
            var claims =
                    rule.getOutputClaimToHeaders() == null ? List.<ClaimToHeader>of() : rule.getOutputClaimToHeaders();
            for (int c = 0; c < claims.size(); c++) {
                ClaimToHeader claim = claims.get(c);
                if (claim == null
                        || claim.getClaim() == null
                        || claim.getClaim().isEmpty()) {
                    issues.add(FieldIssue.error(path + ".outputClaimToHeaders[" + c + "].claim", "required"));
                }
                if (claim == null
                        || claim.getHeader() == null
                        || claim.getHeader().isEmpty()) {
                    issues.add(FieldIssue.error(path + ".outputClaimToHeaders[" + c + "].header", "required"));
                }
            }
        }
    }

    private static boolean isHttpUrl(String text) {
        try {
            java.net.URI uri = new java.net.URI(text);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null
                    && !uri.getHost().isEmpty();
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    static void checkPeerAuthentication(PeerAuthentication resource, List<FieldIssue> issues) {
        var spec = resource.getSpec();
        if (spec == null) {
            return;
        }
        checkSelector(spec.getSelector(), issues);
        Map<String, PeerAuthenticationMutualTLS> portLevel = spec.getPortLevelMtls();
        if (portLevel != null && !portLevel.isEmpty()) {
            if (spec.getSelector() == null || isEmpty(spec.getSelector().getMatchLabels())) {
                issues.add(FieldIssue.error(
                        "spec.portLevelMtls", "port level mTLS needs a workload selector (spec.selector.matchLabels)"));
            }
            portLevel.forEach((port, mtls) -> {
                String path = "spec.portLevelMtls." + port;
                if (!isPortNumber(port, 1)) {
                    issues.add(FieldIssue.error(path, "'" + port + "' is not a port number in 1..65535"));
                }
                if (mtls == null) {
                    issues.add(FieldIssue.error(path, "needs a mode"));
                }
            });
        }
    }

    static void checkAuthorizationPolicy(AuthorizationPolicy resource, List<FieldIssue> issues) {
        var spec = resource.getSpec();
        if (spec == null) {
            return;
        }
        checkSelector(spec.getSelector(), issues);
        boolean targeted = spec.getTargetRef() != null
                || (spec.getTargetRefs() != null && !spec.getTargetRefs().isEmpty());
        if (targeted && spec.getSelector() != null) {
            issues.add(FieldIssue.error("spec.selector", "selector and targetRef(s) cannot both be set"));
        }
        boolean custom = spec.getAction() == AuthorizationPolicyAction.CUSTOM;
        if (custom) {
            // Istio delegates CUSTOM to an external authorizer (ext_authz); neither ztunnel nor our waypoint has one.
            issues.add(FieldIssue.error("spec.action", "CUSTOM is not supported (no external authorization provider)"));
        }
        if (!custom && spec.getActionDetail() != null) {
            issues.add(FieldIssue.error("spec.provider", "a provider is only allowed with the CUSTOM action"));
        }
        List<Rule> rules = spec.getRules() == null ? List.of() : spec.getRules();
        for (int r = 0; r < rules.size(); r++) {
            checkRule(rules.get(r), "spec.rules[" + r + "]", issues);
        }
    }

    private static void checkRule(Rule rule, String path, List<FieldIssue> issues) {
        if (rule == null) {
            issues.add(FieldIssue.error(path, "a rule must not be null"));
            return;
        }
        List<RuleFrom> from = rule.getFrom() == null ? List.of() : rule.getFrom();
        for (int i = 0; i < from.size(); i++) {
            String fromPath = path + ".from[" + i + "]";
            Source source = from.get(i) == null ? null : from.get(i).getSource();
            if (source == null) {
                issues.add(FieldIssue.error(fromPath + ".source", "required"));
                continue;
            }
            String sourcePath = fromPath + ".source";
            int fields = 0;
            fields += checkValues(source.getPrincipals(), sourcePath + ".principals", issues);
            fields += checkValues(source.getNotPrincipals(), sourcePath + ".notPrincipals", issues);
            fields += checkValues(source.getRequestPrincipals(), sourcePath + ".requestPrincipals", issues);
            fields += checkValues(source.getNotRequestPrincipals(), sourcePath + ".notRequestPrincipals", issues);
            fields += checkValues(source.getNamespaces(), sourcePath + ".namespaces", issues);
            fields += checkValues(source.getNotNamespaces(), sourcePath + ".notNamespaces", issues);
            fields += checkValues(source.getServiceAccounts(), sourcePath + ".serviceAccounts", issues);
            fields += checkValues(source.getNotServiceAccounts(), sourcePath + ".notServiceAccounts", issues);
            fields += checkIpBlocks(source.getIpBlocks(), sourcePath + ".ipBlocks", issues);
            fields += checkIpBlocks(source.getNotIpBlocks(), sourcePath + ".notIpBlocks", issues);
            fields += checkIpBlocks(source.getRemoteIpBlocks(), sourcePath + ".remoteIpBlocks", issues);
            fields += checkIpBlocks(source.getNotRemoteIpBlocks(), sourcePath + ".notRemoteIpBlocks", issues);
            if (fields == 0) {
                issues.add(FieldIssue.error(sourcePath, "must have at least one field set"));
            }
        }
        List<RuleTo> to = rule.getTo() == null ? List.of() : rule.getTo();
        for (int i = 0; i < to.size(); i++) {
            String toPath = path + ".to[" + i + "]";
            Operation operation = to.get(i) == null ? null : to.get(i).getOperation();
            if (operation == null) {
                issues.add(FieldIssue.error(toPath + ".operation", "required"));
                continue;
            }
            String opPath = toPath + ".operation";
            int fields = 0;
            fields += checkValues(operation.getHosts(), opPath + ".hosts", issues);
            fields += checkValues(operation.getNotHosts(), opPath + ".notHosts", issues);
            fields += checkValues(operation.getMethods(), opPath + ".methods", issues);
            fields += checkValues(operation.getNotMethods(), opPath + ".notMethods", issues);
            fields += checkValues(operation.getPaths(), opPath + ".paths", issues);
            fields += checkValues(operation.getNotPaths(), opPath + ".notPaths", issues);
            fields += checkPorts(operation.getPorts(), opPath + ".ports", issues);
            fields += checkPorts(operation.getNotPorts(), opPath + ".notPorts", issues);
            if (fields == 0) {
                issues.add(FieldIssue.error(opPath, "must have at least one field set"));
            }
        }
        List<Condition> when = rule.getWhen() == null ? List.of() : rule.getWhen();
        for (int i = 0; i < when.size(); i++) {
            checkCondition(when.get(i), path + ".when[" + i + "]", issues);
        }
    }

    private static void checkCondition(Condition condition, String path, List<FieldIssue> issues) {
        if (condition == null
                || condition.getKey() == null
                || condition.getKey().isEmpty()) {
            issues.add(FieldIssue.error(path + ".key", "required"));
            return;
        }
        String key = condition.getKey();
        boolean known = EXACT_CONDITION_KEYS.contains(key)
                || CONDITION_KEY_PREFIXES.stream()
                        .anyMatch(p -> key.startsWith(p) && (!p.endsWith("[") || key.endsWith("]")));
        if (!known) {
            issues.add(FieldIssue.error(path + ".key", "unknown condition key '" + key + "'"));
        } else if (key.startsWith("request.headers[")
                && !HEADER_KEY.matcher(key).matches()) {
            issues.add(FieldIssue.error(
                    path + ".key", "'" + key + "' must be request.headers[<name>] with one non-empty header name"));
        } else if (key.startsWith("request.auth.claims[")
                && !CLAIM_KEY.matcher(key).matches()) {
            issues.add(FieldIssue.error(
                    path + ".key",
                    "'" + key + "' must be request.auth.claims[<claim>] or, for a nested claim,"
                            + " request.auth.claims[<claim>][<nested>]... with non-empty names"));
        }
        int values = checkValues(condition.getValues(), path + ".values", issues)
                + checkValues(condition.getNotValues(), path + ".notValues", issues);
        if (values == 0) {
            issues.add(FieldIssue.error(path, "needs values or notValues"));
        }
        if (key.equals("source.ip") || key.equals("remote.ip") || key.equals("destination.ip")) {
            checkIpBlocks(condition.getValues(), path + ".values", issues);
            checkIpBlocks(condition.getNotValues(), path + ".notValues", issues);
        }
        if (key.equals("destination.port")) {
            checkPorts(condition.getValues(), path + ".values", issues);
            checkPorts(condition.getNotValues(), path + ".notValues", issues);
        }
    }

    /** Returns 1 when the list has entries (so callers can count set fields), reporting empty strings. */
    private static int checkValues(List<String> values, String path, List<FieldIssue> issues) {
        if (values == null || values.isEmpty()) {
            return 0;
        }
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) == null || values.get(i).isEmpty()) {
                issues.add(FieldIssue.error(path + "[" + i + "]", "must not be empty"));
            }
        }
        return 1;
    }

    private static int checkIpBlocks(List<String> values, String path, List<FieldIssue> issues) {
        if (values == null || values.isEmpty()) {
            return 0;
        }
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            if (value != null && !value.isEmpty() && IpPrefix.parse(value).isEmpty()) {
                issues.add(
                        FieldIssue.error(path + "[" + i + "]", "'" + value + "' is not an IP address or CIDR block"));
            }
        }
        return 1;
    }

    private static int checkPorts(List<String> values, String path, List<FieldIssue> issues) {
        if (values == null || values.isEmpty()) {
            return 0;
        }
        for (int i = 0; i < values.size(); i++) {
            if (!isPortNumber(values.get(i), 0)) {
                issues.add(FieldIssue.error(
                        path + "[" + i + "]", "'" + values.get(i) + "' is not a port number in 0..65535"));
            }
        }
        return 1;
    }

    private static void checkSelector(WorkloadSelector selector, List<FieldIssue> issues) {
        if (selector != null) {
            MetadataRules.checkLabelMap(selector.getMatchLabels(), "spec.selector.matchLabels", issues);
        }
    }

    private static boolean isPortNumber(String text, int min) {
        if (text == null || text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
            return false;
        }
        int port = Integer.parseInt(text);
        return port >= min && port <= 65535;
    }

    private static boolean isEmpty(Map<?, ?> map) {
        return map == null || map.isEmpty();
    }
}
