package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Envoy's HTTP {@code RBAC} filter config to a {@link RbacFilterConfig}. Only what istiod-lite sends for
 * AuthorizationPolicies is implemented (principal {@code metadata} for the JWT payload included); any other field
 * is refused by name.
 */
final class RbacTranslator {

    private RbacTranslator() {}

    /** An RBAC filter with no {@code rules} does nothing: empty. */
    static Optional<RbacFilterConfig> translate(
            io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC filter, String path) {
        FieldGuard.onlyFields(filter, path, Set.of("rules"));
        if (!filter.hasRules()) {
            return Optional.empty();
        }
        RBAC rules = filter.getRules();
        String rpath = path + ".rules";
        FieldGuard.onlyFields(rules, rpath, Set.of("action", "policies"));
        RbacFilterConfig.Action action = switch (rules.getAction()) {
            case ALLOW -> RbacFilterConfig.Action.ALLOW;
            case DENY -> RbacFilterConfig.Action.DENY;
            case LOG -> RbacFilterConfig.Action.LOG;
            default -> throw FieldGuard.invalid(rpath + ".action", "unsupported action " + rules.getAction());
        };
        List<RbacPolicy> policies = new ArrayList<>();
        for (Map.Entry<String, Policy> e : rules.getPoliciesMap().entrySet()) {
            policies.add(policy(e.getKey(), e.getValue(), rpath + ".policies[" + e.getKey() + "]"));
        }
        return Optional.of(new RbacFilterConfig(action, policies));
    }

    private static RbacPolicy policy(String name, Policy p, String path) {
        FieldGuard.onlyFields(p, path, Set.of("permissions", "principals"));
        if (p.getPermissionsCount() == 0) {
            throw FieldGuard.invalid(path + ".permissions", "at least one permission is required");
        }
        if (p.getPrincipalsCount() == 0) {
            throw FieldGuard.invalid(path + ".principals", "at least one principal is required");
        }
        List<RbacPermission> permissions = new ArrayList<>();
        for (int i = 0; i < p.getPermissionsCount(); i++) {
            permissions.add(permission(p.getPermissions(i), path + ".permissions[" + i + "]"));
        }
        List<RbacPrincipal> principals = new ArrayList<>();
        for (int i = 0; i < p.getPrincipalsCount(); i++) {
            principals.add(principal(p.getPrincipals(i), path + ".principals[" + i + "]"));
        }
        return new RbacPolicy(name, permissions, principals);
    }

    static RbacPermission permission(Permission p, String path) {
        return switch (p.getRuleCase()) {
            case ANY -> {
                if (!p.getAny()) {
                    throw FieldGuard.invalid(path + ".any", "must be true");
                }
                yield new RbacPermission.Any();
            }
            case AND_RULES -> new RbacPermission.And(permissions(p.getAndRules(), path + ".and_rules"));
            case OR_RULES -> new RbacPermission.Or(permissions(p.getOrRules(), path + ".or_rules"));
            case NOT_RULE -> new RbacPermission.Not(permission(p.getNotRule(), path + ".not_rule"));
            case HEADER -> new RbacPermission.Header(MatcherTranslator.header(p.getHeader(), path + ".header"));
            case URL_PATH -> new RbacPermission.UrlPath(pathMatch(p.getUrlPath(), path + ".url_path"));
            case DESTINATION_PORT -> {
                int port = p.getDestinationPort();
                if (port <= 0 || port > 65535) {
                    throw FieldGuard.invalid(path + ".destination_port", "must be 1..65535, got " + port);
                }
                yield new RbacPermission.DestinationPort(port);
            }
            case DESTINATION_IP ->
                new RbacPermission.DestinationIp(cidr(p.getDestinationIp(), path + ".destination_ip"));
            case REQUESTED_SERVER_NAME ->
                new RbacPermission.RequestedServerName(
                        MatcherTranslator.string(p.getRequestedServerName(), path + ".requested_server_name"));
            case RULE_NOT_SET -> throw FieldGuard.invalid(path, "a permission needs a rule");
            default -> throw unsupported(path, p.getRuleCase().name());
        };
    }

    private static List<RbacPermission> permissions(Permission.Set set, String path) {
        FieldGuard.onlyFields(set, path, Set.of("rules"));
        List<RbacPermission> out = new ArrayList<>();
        for (int i = 0; i < set.getRulesCount(); i++) {
            out.add(permission(set.getRules(i), path + ".rules[" + i + "]"));
        }
        return out;
    }

    static RbacPrincipal principal(Principal p, String path) {
        return switch (p.getIdentifierCase()) {
            case ANY -> {
                if (!p.getAny()) {
                    throw FieldGuard.invalid(path + ".any", "must be true");
                }
                yield new RbacPrincipal.Any();
            }
            case AND_IDS -> new RbacPrincipal.And(principals(p.getAndIds(), path + ".and_ids"));
            case OR_IDS -> new RbacPrincipal.Or(principals(p.getOrIds(), path + ".or_ids"));
            case NOT_ID -> new RbacPrincipal.Not(principal(p.getNotId(), path + ".not_id"));
            case AUTHENTICATED -> {
                var a = p.getAuthenticated();
                FieldGuard.onlyFields(a, path + ".authenticated", Set.of("principal_name"));
                yield new RbacPrincipal.Authenticated(
                        a.hasPrincipalName()
                                ? Optional.of(MatcherTranslator.string(
                                        a.getPrincipalName(), path + ".authenticated.principal_name"))
                                : Optional.empty());
            }
            case DIRECT_REMOTE_IP ->
                new RbacPrincipal.DirectRemoteIp(cidr(p.getDirectRemoteIp(), path + ".direct_remote_ip"));
            case REMOTE_IP -> new RbacPrincipal.RemoteIp(cidr(p.getRemoteIp(), path + ".remote_ip"));
            case HEADER -> new RbacPrincipal.Header(MatcherTranslator.header(p.getHeader(), path + ".header"));
            case URL_PATH -> new RbacPrincipal.UrlPath(pathMatch(p.getUrlPath(), path + ".url_path"));
            case METADATA -> metadata(p.getMetadata(), path + ".metadata");
            case IDENTIFIER_NOT_SET -> throw FieldGuard.invalid(path, "a principal needs an identifier");
            default -> throw unsupported(path, p.getIdentifierCase().name());
        };
    }

    private static List<RbacPrincipal> principals(Principal.Set set, String path) {
        FieldGuard.onlyFields(set, path, Set.of("ids"));
        List<RbacPrincipal> out = new ArrayList<>();
        for (int i = 0; i < set.getIdsCount(); i++) {
            out.add(principal(set.getIds(i), path + ".ids[" + i + "]"));
        }
        return out;
    }

    private static RbacPrincipal metadata(MetadataMatcher m, String path) {
        FieldGuard.onlyFields(m, path, Set.of("filter", "path", "value", "invert"));
        if (m.getFilter().isEmpty()) {
            throw FieldGuard.invalid(path + ".filter", "empty");
        }
        if (!m.hasValue()) {
            throw FieldGuard.invalid(path + ".value", "needs a value matcher");
        }
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < m.getPathCount(); i++) {
            var segment = m.getPath(i);
            FieldGuard.onlyFields(segment, path + ".path[" + i + "]", Set.of("key"));
            keys.add(segment.getKey());
        }
        return new RbacPrincipal.Metadata(m.getFilter(), keys, value(m.getValue(), path + ".value"), m.getInvert());
    }

    private static ValueMatch value(ValueMatcher v, String path) {
        return switch (v.getMatchPatternCase()) {
            case PRESENT_MATCH -> new ValueMatch.Present(v.getPresentMatch());
            case STRING_MATCH ->
                new ValueMatch.Str(MatcherTranslator.string(v.getStringMatch(), path + ".string_match"));
            case LIST_MATCH -> {
                var list = v.getListMatch();
                FieldGuard.onlyFields(list, path + ".list_match", Set.of("one_of"));
                yield new ValueMatch.OneOf(value(list.getOneOf(), path + ".list_match.one_of"));
            }
            case MATCHPATTERN_NOT_SET -> throw FieldGuard.invalid(path, "needs a match pattern");
            default -> throw unsupported(path, v.getMatchPatternCase().name());
        };
    }

    private static StringMatch pathMatch(PathMatcher m, String path) {
        FieldGuard.onlyFields(m, path, Set.of("path"));
        if (!m.hasPath()) {
            throw FieldGuard.invalid(path, "needs path");
        }
        return MatcherTranslator.string(m.getPath(), path + ".path");
    }

    static CidrMatch cidr(CidrRange range, String path) {
        FieldGuard.onlyFields(range, path, Set.of("address_prefix", "prefix_len"));
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(range.getAddressPrefix());
        } catch (IllegalArgumentException e) {
            throw FieldGuard.invalid(
                    path + ".address_prefix", "'" + range.getAddressPrefix() + "' is not an IP address");
        }
        int max = address.getAddress().length * 8;
        // Envoy's default for an unset prefix_len is 0: the whole address family.
        int length = range.hasPrefixLen() ? range.getPrefixLen().getValue() : 0;
        if (length > max) {
            throw FieldGuard.invalid(path + ".prefix_len", length + " is more than " + max);
        }
        return new CidrMatch(address, length);
    }

    private static UnsupportedConfigException unsupported(String path, String caseName) {
        return new UnsupportedConfigException("unsupported field " + path + "." + caseName.toLowerCase(Locale.ROOT)
                + " (the waypoint does not implement it)");
    }
}
