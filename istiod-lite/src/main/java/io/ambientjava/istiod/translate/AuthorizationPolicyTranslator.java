package io.ambientjava.istiod.translate;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.ambientjava.api.security.Action;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Group;
import io.ambientjava.api.security.Match;
import io.ambientjava.api.security.Rules;
import io.ambientjava.api.security.Scope;
import io.ambientjava.api.security.ServiceAccountMatch;
import io.ambientjava.api.security.StringMatch;
import io.ambientjava.istiod.config.IpPrefix;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.Condition;
import io.fabric8.istio.api.api.security.v1beta1.Operation;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.api.security.v1beta1.RuleFrom;
import io.fabric8.istio.api.api.security.v1beta1.RuleTo;
import io.fabric8.istio.api.api.security.v1beta1.Source;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * An AuthorizationPolicy as ztunnel's {@code istio.security.Authorization}, the way istiod converts it:
 *
 * <ul>
 *   <li>policies with {@code targetRef(s)} belong to waypoints and are not sent to ztunnel;
 *   <li>scope: with a selector WORKLOAD_SELECTOR, else NAMESPACE, or GLOBAL in the root namespace;
 *   <li>each rule becomes a group whose clauses are ANDed: one clause of the {@code to} operations (ports), one of
 *       the {@code from} sources (principals, namespaces, service accounts, IP blocks), one per {@code when};
 *   <li>attributes only a proxy that parses HTTP can check (methods, paths, hosts, request principals, remote IP
 *       blocks, {@code when} on request data) are reported. In an ALLOW policy the rule holding them is left out
 *       entirely, so it allows nothing (stricter than written); in a DENY policy the rule is kept without them, so
 *       it denies more (also stricter). ztunnel never enforces less than the policy says;
 *   <li>AUDIT and CUSTOM actions are not supported by ztunnel: reported, nothing sent.
 * </ul>
 */
final class AuthorizationPolicyTranslator {

    private static final Set<String> L4_CONDITION_KEYS =
            Set.of("source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port");

    private final MeshSettings settings;

    AuthorizationPolicyTranslator(MeshSettings settings) {
        this.settings = settings;
    }

    Optional<Authorization> translate(AuthorizationPolicy policy, Consumer<String> warn) {
        var spec = policy.getSpec() == null
                ? new io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy()
                : policy.getSpec();
        if (spec.getTargetRef() != null
                || (spec.getTargetRefs() != null && !spec.getTargetRefs().isEmpty())) {
            return Optional.empty(); // enforced by the targeted waypoint, not by ztunnel
        }
        String namespace = policy.getMetadata().getNamespace();
        Action action;
        AuthorizationPolicyAction declared =
                spec.getAction() == null ? AuthorizationPolicyAction.ALLOW : spec.getAction();
        switch (declared) {
            case ALLOW -> action = Action.ALLOW;
            case DENY -> action = Action.DENY;
            default -> {
                warn.accept(
                        "ztunnel does not support the " + declared + " action; the policy is not enforced by ztunnel"
                                + " (bind it to a waypoint with targetRefs)");
                return Optional.empty();
            }
        }
        Scope scope = spec.getSelector() != null
                ? Scope.WORKLOAD_SELECTOR
                : namespace.equals(settings.rootNamespace()) ? Scope.GLOBAL : Scope.NAMESPACE;
        var builder = Authorization.newBuilder()
                .setName(policy.getMetadata().getName())
                .setNamespace(namespace)
                .setScope(scope)
                .setAction(action);
        Set<String> httpAttributes = new TreeSet<>();
        List<Rule> rules = spec.getRules() == null ? List.of() : spec.getRules();
        for (Rule rule : rules) {
            Set<String> found = new TreeSet<>();
            List<Rules> clauses = clauses(rule, namespace, found);
            httpAttributes.addAll(found);
            if (action == Action.ALLOW && !found.isEmpty()) {
                continue; // an HTTP-only condition can never be met at L4: the rule allows nothing
            }
            builder.addGroups(Group.newBuilder().addAllRules(clauses));
        }
        if (!httpAttributes.isEmpty()) {
            warn.accept("L7 rule needs a waypoint: ztunnel cannot enforce HTTP attributes (found: "
                    + String.join(", ", httpAttributes)
                    + "); a selector policy never reaches a waypoint, so bind it to one with targetRefs. "
                    + (action == Action.ALLOW
                            ? "The ALLOW rules that use them are left out, so they allow nothing: stricter than written."
                            : "The DENY rules that use them are enforced without them, so they deny more: stricter"
                                    + " than written."));
        }
        return Optional.of(builder.build());
    }

    private List<Rules> clauses(Rule rule, String namespace, Set<String> httpAttributes) {
        List<Rules> clauses = new ArrayList<>();
        List<Match> toMatches = new ArrayList<>();
        for (RuleTo to : rule.getTo() == null ? List.<RuleTo>of() : rule.getTo()) {
            Operation op = to.getOperation() == null ? new Operation() : to.getOperation();
            noteHttp(op.getHosts(), "hosts", httpAttributes);
            noteHttp(op.getNotHosts(), "notHosts", httpAttributes);
            noteHttp(op.getMethods(), "methods", httpAttributes);
            noteHttp(op.getNotMethods(), "notMethods", httpAttributes);
            noteHttp(op.getPaths(), "paths", httpAttributes);
            noteHttp(op.getNotPaths(), "notPaths", httpAttributes);
            toMatches.add(Match.newBuilder()
                    .addAllDestinationPorts(ports(op.getPorts()))
                    .addAllNotDestinationPorts(ports(op.getNotPorts()))
                    .build());
        }
        List<Match> fromMatches = new ArrayList<>();
        for (RuleFrom from : rule.getFrom() == null ? List.<RuleFrom>of() : rule.getFrom()) {
            Source source = from.getSource() == null ? new Source() : from.getSource();
            noteHttp(source.getRemoteIpBlocks(), "remoteIpBlocks", httpAttributes);
            noteHttp(source.getNotRemoteIpBlocks(), "notRemoteIpBlocks", httpAttributes);
            noteHttp(source.getRequestPrincipals(), "requestPrincipals", httpAttributes);
            noteHttp(source.getNotRequestPrincipals(), "notRequestPrincipals", httpAttributes);
            fromMatches.add(Match.newBuilder()
                    .addAllSourceIps(addresses(source.getIpBlocks()))
                    .addAllNotSourceIps(addresses(source.getNotIpBlocks()))
                    .addAllNamespaces(stringMatches(source.getNamespaces()))
                    .addAllNotNamespaces(stringMatches(source.getNotNamespaces()))
                    .addAllServiceAccounts(serviceAccounts(source.getServiceAccounts(), namespace))
                    .addAllNotServiceAccounts(serviceAccounts(source.getNotServiceAccounts(), namespace))
                    .addAllPrincipals(stringMatches(source.getPrincipals()))
                    .addAllNotPrincipals(stringMatches(source.getNotPrincipals()))
                    .build());
        }
        if (!toMatches.isEmpty()) {
            clauses.add(Rules.newBuilder().addAllMatches(toMatches).build());
        }
        if (!fromMatches.isEmpty()) {
            clauses.add(Rules.newBuilder().addAllMatches(fromMatches).build());
        }
        for (Condition when : rule.getWhen() == null ? List.<Condition>of() : rule.getWhen()) {
            String key = when.getKey();
            if (!L4_CONDITION_KEYS.contains(key)) {
                httpAttributes.add(key);
            }
            clauses.add(Rules.newBuilder().addMatches(conditionMatch(when)).build());
        }
        return clauses;
    }

    private static Match conditionMatch(Condition when) {
        var match = Match.newBuilder();
        List<String> values = when.getValues() == null ? List.of() : when.getValues();
        List<String> notValues = when.getNotValues() == null ? List.of() : when.getNotValues();
        switch (when.getKey()) {
            case "source.namespace" ->
                match.addAllNamespaces(stringMatches(values)).addAllNotNamespaces(stringMatches(notValues));
            case "source.principal" ->
                match.addAllPrincipals(stringMatches(values)).addAllNotPrincipals(stringMatches(notValues));
            case "source.ip" -> match.addAllSourceIps(addresses(values)).addAllNotSourceIps(addresses(notValues));
            case "destination.ip" ->
                match.addAllDestinationIps(addresses(values)).addAllNotDestinationIps(addresses(notValues));
            case "destination.port" ->
                match.addAllDestinationPorts(ports(values)).addAllNotDestinationPorts(ports(notValues));
            default -> {
                // an HTTP attribute: an empty match, which matches everything (relevant for DENY)
            }
        }
        return match.build();
    }

    private static void noteHttp(List<String> values, String field, Set<String> httpAttributes) {
        if (values != null && !values.isEmpty()) {
            httpAttributes.add(field);
        }
    }

    /** Istio's wildcard forms: {@code *} present, {@code *x} suffix, {@code x*} prefix, else exact. */
    static List<StringMatch> stringMatches(List<String> values) {
        List<StringMatch> matches = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            StringMatch.Builder match = StringMatch.newBuilder();
            if (value.equals("*")) {
                match.setPresence(Empty.getDefaultInstance());
            } else if (value.startsWith("*")) {
                match.setSuffix(value.substring(1));
            } else if (value.endsWith("*")) {
                match.setPrefix(value.substring(0, value.length() - 1));
            } else {
                match.setExact(value);
            }
            matches.add(match.build());
        }
        return matches;
    }

    private static List<ServiceAccountMatch> serviceAccounts(List<String> values, String policyNamespace) {
        List<ServiceAccountMatch> matches = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            int slash = value.indexOf('/');
            matches.add(ServiceAccountMatch.newBuilder()
                    .setNamespace(slash < 0 ? policyNamespace : value.substring(0, slash))
                    .setServiceAccount(slash < 0 ? value : value.substring(slash + 1))
                    .build());
        }
        return matches;
    }

    static List<Integer> ports(List<String> values) {
        List<Integer> ports = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            try {
                int port = Integer.parseInt(value);
                if (port >= 0 && port <= 65535) {
                    ports.add(port);
                }
            } catch (NumberFormatException e) {
                // validation refuses these; nothing to match
            }
        }
        return ports;
    }

    static List<io.ambientjava.api.security.Address> addresses(List<String> values) {
        List<io.ambientjava.api.security.Address> addresses = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            IpPrefix.parse(value)
                    .ifPresent(prefix -> addresses.add(io.ambientjava.api.security.Address.newBuilder()
                            .setAddress(ByteString.copyFrom(prefix.address().getAddress()))
                            .setLength(prefix.length())
                            .build()));
        }
        return addresses;
    }
}
