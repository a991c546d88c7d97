package io.ambientjava.ztunnel.state.proto;

import io.ambientjava.api.security.Group;
import io.ambientjava.api.security.Rules;
import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Cidr;
import io.ambientjava.ztunnel.state.policy.Clause;
import io.ambientjava.ztunnel.state.policy.Match;
import io.ambientjava.ztunnel.state.policy.Rule;
import io.ambientjava.ztunnel.state.policy.ServiceAccountMatch;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code istio.security.Authorization} to {@link Authorization}: proto {@code Group} becomes a {@link Rule}, proto
 * {@code Rules} a {@link Clause}.
 *
 * <p>Unlike upstream ztunnel, which silently drops a malformed CIDR or an empty string match (and so can widen a
 * DENY policy's reach or narrow an ALLOW's), a malformed condition rejects the whole policy.
 */
public final class AuthorizationMapper {

    private AuthorizationMapper() {}

    /**
     * Maps and validates a policy.
     *
     * @throws io.ambientjava.ztunnel.state.InvalidResourceException naming the policy and the offending field
     */
    public static Authorization toDomain(io.ambientjava.api.security.Authorization proto) {
        ResourceContext ctx = ResourceContext.of("authorization", proto.getNamespace() + "/" + proto.getName());
        ctx.required(proto.getName(), "name");
        ctx.required(proto.getNamespace(), "namespace");
        Authorization.Scope scope = switch (proto.getScope()) {
            case GLOBAL -> Authorization.Scope.GLOBAL;
            case NAMESPACE -> Authorization.Scope.NAMESPACE;
            case WORKLOAD_SELECTOR -> Authorization.Scope.WORKLOAD_SELECTOR;
            case UNRECOGNIZED -> throw ctx.invalid("scope", "unknown value " + proto.getScopeValue());
        };
        Authorization.Action action = switch (proto.getAction()) {
            case ALLOW -> Authorization.Action.ALLOW;
            case DENY -> Authorization.Action.DENY;
            case UNRECOGNIZED -> throw ctx.invalid("action", "unknown value " + proto.getActionValue());
        };
        List<Rule> rules = new ArrayList<>();
        for (int g = 0; g < proto.getGroupsCount(); g++) {
            rules.add(rule(proto.getGroups(g), "groups[" + g + "]", ctx));
        }
        try {
            return new Authorization(proto.getName(), proto.getNamespace(), scope, action, rules, proto.getDryRun());
        } catch (IllegalArgumentException e) {
            throw ctx.invalid("authorization", e.getMessage());
        }
    }

    private static Rule rule(Group group, String field, ResourceContext ctx) {
        List<Clause> clauses = new ArrayList<>();
        for (int r = 0; r < group.getRulesCount(); r++) {
            Rules rules = group.getRules(r);
            String clauseField = field + ".rules[" + r + "]";
            List<Match> matches = new ArrayList<>();
            for (int m = 0; m < rules.getMatchesCount(); m++) {
                matches.add(match(rules.getMatches(m), clauseField + ".matches[" + m + "]", ctx));
            }
            clauses.add(new Clause(matches));
        }
        return new Rule(clauses);
    }

    private static Match match(io.ambientjava.api.security.Match m, String field, ResourceContext ctx) {
        return new Match(
                strings(m.getNamespacesList(), field + ".namespaces", ctx),
                strings(m.getNotNamespacesList(), field + ".not_namespaces", ctx),
                serviceAccounts(m.getServiceAccountsList()),
                serviceAccounts(m.getNotServiceAccountsList()),
                strings(m.getPrincipalsList(), field + ".principals", ctx),
                strings(m.getNotPrincipalsList(), field + ".not_principals", ctx),
                cidrs(m.getSourceIpsList(), field + ".source_ips", ctx),
                cidrs(m.getNotSourceIpsList(), field + ".not_source_ips", ctx),
                cidrs(m.getDestinationIpsList(), field + ".destination_ips", ctx),
                cidrs(m.getNotDestinationIpsList(), field + ".not_destination_ips", ctx),
                ports(m.getDestinationPortsList(), field + ".destination_ports", ctx),
                ports(m.getNotDestinationPortsList(), field + ".not_destination_ports", ctx));
    }

    private static List<StringMatch> strings(
            List<io.ambientjava.api.security.StringMatch> list, String field, ResourceContext ctx) {
        List<StringMatch> result = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            io.ambientjava.api.security.StringMatch s = list.get(i);
            result.add(
                    switch (s.getMatchTypeCase()) {
                        case EXACT -> StringMatch.exact(s.getExact());
                        case PREFIX -> StringMatch.prefix(s.getPrefix());
                        case SUFFIX -> StringMatch.suffix(s.getSuffix());
                        case PRESENCE -> StringMatch.presence();
                        case MATCHTYPE_NOT_SET ->
                            throw ctx.invalid(field + "[" + i + "]", "none of exact, prefix, suffix, presence is set");
                    });
        }
        return result;
    }

    private static List<ServiceAccountMatch> serviceAccounts(
            List<io.ambientjava.api.security.ServiceAccountMatch> list) {
        return list.stream()
                .map(sa -> new ServiceAccountMatch(sa.getNamespace(), sa.getServiceAccount()))
                .toList();
    }

    private static List<Cidr> cidrs(List<io.ambientjava.api.security.Address> list, String field, ResourceContext ctx) {
        List<Cidr> result = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String element = field + "[" + i + "]";
            InetAddress ip = ctx.ip(list.get(i).getAddress(), element + ".address");
            try {
                result.add(new Cidr(ip, list.get(i).getLength()));
            } catch (IllegalArgumentException e) {
                throw ctx.invalid(element + ".length", e.getMessage());
            }
        }
        return result;
    }

    private static List<Integer> ports(List<Integer> list, String field, ResourceContext ctx) {
        for (int i = 0; i < list.size(); i++) {
            ctx.port(list.get(i), field + "[" + i + "]", 0);
        }
        return list;
    }
}
