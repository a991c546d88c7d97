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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An AuthorizationPolicy as ztunnel's {@code istio.security.Authorization}, the way istiod converts it:
 *
 * <ul>
 *   <li>policies with {@code targetRef(s)} belong to waypoints and are not sent to ztunnel;
 *   <li>scope: with a selector WORKLOAD_SELECTOR, else NAMESPACE, or GLOBAL in the root namespace;
 *   <li>each rule becomes a group whose clauses are ANDed: one clause of the {@code to} operations (ports), one of
 *       the {@code from} sources (principals, namespaces, service accounts, IP blocks), one per {@code when};
 *   <li>attributes only a proxy that parses HTTP can check (methods, paths, hosts, request principals, remote IP
 *       blocks, {@code when} on request data) are reported. When a waypoint serves the selected workloads (see
 *       {@link SelectorWaypoints}: through their services, or taking their own traffic) that waypoint enforces the
 *       policy, and ztunnel gets an L4 form that does not block it: an ALLOW rule holding them becomes "from the
 *       waypoint's service account, to the ports where it checks them", a DENY rule holding them is left
 *       out (kept without them, but not for the waypoint, while some selected pod is reachable without a waypoint).
 *       Without a waypoint an ALLOW rule holding them is left out entirely, so it allows nothing (stricter than
 *       written), and a DENY rule is kept without them, so it denies more (also stricter). ztunnel never enforces
 *       less than the policy says for traffic that bypasses the waypoint;
 *   <li>AUDIT and CUSTOM actions are not supported by ztunnel: reported, nothing sent (an AUDIT selector policy is
 *       logged by the waypoint serving its workloads).
 * </ul>
 */
final class AuthorizationPolicyTranslator {

    private static final Logger log = LoggerFactory.getLogger(AuthorizationPolicyTranslator.class);

    private final MeshSettings settings;

    AuthorizationPolicyTranslator(MeshSettings settings) {
        this.settings = settings;
    }

    /** Without waypoints: every selector policy is enforced by ztunnel alone. */
    Optional<Authorization> translate(AuthorizationPolicy policy, Consumer<String> warn) {
        return translate(policy, null, warn);
    }

    /**
     * @param selectors which waypoints serve the workloads a selector selects (null: none do)
     */
    Optional<Authorization> translate(AuthorizationPolicy policy, SelectorWaypoints selectors, Consumer<String> warn) {
        var spec = policy.getSpec() == null
                ? new io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy()
                : policy.getSpec();
        if (spec.getTargetRef() != null
                || (spec.getTargetRefs() != null && !spec.getTargetRefs().isEmpty())) {
            return Optional.empty(); // enforced by the targeted waypoint, not by ztunnel
        }
        String namespace = policy.getMetadata().getNamespace();
        String name = policy.getMetadata().getName();
        Set<String> httpAttributes = L7Attributes.of(policy);
        SelectorWaypoints.Coverage coverage = spec.getSelector() == null || selectors == null
                ? SelectorWaypoints.Coverage.NONE
                : selectors.coverage(namespace, matchLabels(spec.getSelector()));
        AuthorizationPolicyAction declared =
                spec.getAction() == null ? AuthorizationPolicyAction.ALLOW : spec.getAction();
        // Only selector policies that need HTTP (and AUDIT ones, which ztunnel cannot log) move to the waypoint.
        boolean atWaypoint =
                coverage.any() && (!httpAttributes.isEmpty() || declared == AuthorizationPolicyAction.AUDIT);
        if (atWaypoint) {
            // every translation passes here; the warning below is what the pipeline logs once (WARN) when it is new
            log.debug(
                    "selector AuthorizationPolicy {}/{} ({}) is enforced at {}",
                    namespace,
                    name,
                    declared,
                    coverage.describe());
        }
        Action action;
        switch (declared) {
            case ALLOW -> action = Action.ALLOW;
            case DENY -> action = Action.DENY;
            default -> {
                if (atWaypoint) {
                    warn.accept("enforced at " + coverage.describe() + " (selector policy on workloads served by a"
                            + " waypoint); ztunnel has no " + declared + " action, so it sends nothing"
                            + uncoveredNote(coverage, "they are not audited"));
                } else {
                    warn.accept("ztunnel does not support the " + declared + " action; the policy is not enforced by"
                            + " ztunnel (bind it to a waypoint with targetRefs)");
                }
                return Optional.empty();
            }
        }
        Scope scope = spec.getSelector() != null
                ? Scope.WORKLOAD_SELECTOR
                : namespace.equals(settings.rootNamespace()) ? Scope.GLOBAL : Scope.NAMESPACE;
        var builder = Authorization.newBuilder()
                .setName(name)
                .setNamespace(namespace)
                .setScope(scope)
                .setAction(action);
        List<Rule> rules = spec.getRules() == null ? List.of() : spec.getRules();
        boolean waypointGroupAdded = false;
        for (Rule rule : rules) {
            Set<String> found = L7Attributes.of(rule);
            List<Rules> clauses = clauses(rule, namespace);
            if (found.isEmpty()) {
                Group.Builder group = Group.newBuilder().addAllRules(clauses);
                if (atWaypoint && action == Action.DENY) {
                    // the waypoint enforces this rule with the caller's identity; at ztunnel the caller through it
                    // is the waypoint, which must not be taken for the caller (a notPrincipals rule would match it)
                    group.addRules(notFromWaypoint(coverage));
                }
                builder.addGroups(group);
            } else if (action == Action.ALLOW) {
                // An HTTP-only condition can never be met at L4. With a waypoint in front, ztunnel lets the
                // waypoint through and the waypoint decides; without one the rule allows nothing.
                if (atWaypoint && !waypointGroupAdded) {
                    coverage.admissions().forEach(a -> builder.addGroups(waypointOnly(a)));
                    waypointGroupAdded = true;
                }
            } else if (!(atWaypoint && coverage.complete())) {
                // DENY without the HTTP conditions denies more; traffic from the waypoint (which checks them) is
                // exempt, so only callers that bypass it are refused on the L4 part alone.
                Group.Builder group = Group.newBuilder().addAllRules(clauses);
                if (atWaypoint) {
                    group.addRules(notFromWaypoint(coverage));
                }
                builder.addGroups(group);
            }
        }
        if (atWaypoint) {
            warn.accept("L7 rules (" + String.join(", ", httpAttributes) + ") enforced at " + coverage.describe()
                    + ", which serves the selected workloads; "
                    + (action == Action.ALLOW
                            ? "ztunnel allows the waypoint's identity " + admitted(coverage) + " in their place,"
                                    + " so the waypoint decides and callers that bypass it are refused"
                                    + uncoveredNote(
                                            coverage,
                                            "those rules allow nothing for them at ztunnel (stricter than written)")
                            : coverage.complete()
                                    ? "ztunnel leaves the DENY rules that use them out"
                                    : "ztunnel keeps the DENY rules that use them without them for callers other"
                                            + " than the waypoint"
                                            + uncoveredNote(coverage, "they are denied more (stricter than written)")));
        } else if (!httpAttributes.isEmpty()) {
            warn.accept("L7 rule needs a waypoint: ztunnel cannot enforce HTTP attributes (found: "
                    + String.join(", ", httpAttributes)
                    + "); no waypoint serves the selected workloads, so bind them to one (istio.io/use-waypoint) or"
                    + " target one with targetRefs. "
                    + (action == Action.ALLOW
                            ? "The ALLOW rules that use them are left out, so they allow nothing: stricter than written."
                            : "The DENY rules that use them are enforced without them, so they deny more: stricter"
                                    + " than written."));
        }
        return Optional.of(builder.build());
    }

    private static Map<String, String> matchLabels(io.fabric8.istio.api.api.type.v1beta1.WorkloadSelector selector) {
        return selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
    }

    private static String uncoveredNote(SelectorWaypoints.Coverage coverage, String consequence) {
        if (coverage.uncoveredPods().isEmpty()) {
            return "";
        }
        return ". Selected pods also reachable without a waypoint, by their own address or through a Service without"
                + " one (" + String.join(", ", coverage.uncoveredPods()) + "): "
                + consequence;
    }

    /** {@code (default/waypoint) to ports [9080]}, or with several waypoints where each one is let through. */
    private static String admitted(SelectorWaypoints.Coverage coverage) {
        List<SelectorWaypoints.Admission> admissions = coverage.admissions();
        return switch (admissions.size()) {
            case 0 -> "(" + accounts(coverage) + ") to no port (it reaches them through TCP listeners only)";
            case 1 ->
                "(" + admissions.getFirst().who() + ") to "
                        + admissions.getFirst().where();
            default ->
                "("
                        + String.join(
                                "; ",
                                admissions.stream()
                                        .map(a -> a.who() + " to " + a.where())
                                        .toList())
                        + ")";
        };
    }

    private static String accounts(SelectorWaypoints.Coverage coverage) {
        return String.join(
                ", ",
                coverage.accounts().stream()
                        .map(SelectorWaypoints.Account::toString)
                        .toList());
    }

    private static List<ServiceAccountMatch> waypointAccounts(List<SelectorWaypoints.Account> accounts) {
        return accounts.stream()
                .map(a -> ServiceAccountMatch.newBuilder()
                        .setNamespace(a.namespace())
                        .setServiceAccount(a.serviceAccount())
                        .build())
                .toList();
    }

    /**
     * The waypoint's identity, to the pod ports where it checks the L7 rules only: through a TCP listener the
     * waypoint checks nothing, so there the HTTP rule still allows nothing.
     */
    private static Group waypointOnly(SelectorWaypoints.Admission admission) {
        Group.Builder group = Group.newBuilder()
                .addRules(Rules.newBuilder()
                        .addMatches(Match.newBuilder().addAllServiceAccounts(waypointAccounts(admission.accounts()))));
        if (!admission.ports().isEmpty()) {
            group.addRules(Rules.newBuilder().addMatches(Match.newBuilder().addAllDestinationPorts(admission.ports())));
        }
        if (!admission.notPorts().isEmpty()) {
            group.addRules(
                    Rules.newBuilder().addMatches(Match.newBuilder().addAllNotDestinationPorts(admission.notPorts())));
        }
        return group.build();
    }

    private static Rules notFromWaypoint(SelectorWaypoints.Coverage coverage) {
        return Rules.newBuilder()
                .addMatches(Match.newBuilder().addAllNotServiceAccounts(waypointAccounts(coverage.accounts())))
                .build();
    }

    private List<Rules> clauses(Rule rule, String namespace) {
        List<Rules> clauses = new ArrayList<>();
        List<Match> toMatches = new ArrayList<>();
        for (RuleTo to : rule.getTo() == null ? List.<RuleTo>of() : rule.getTo()) {
            Operation op = to.getOperation() == null ? new Operation() : to.getOperation();
            toMatches.add(Match.newBuilder()
                    .addAllDestinationPorts(ports(op.getPorts()))
                    .addAllNotDestinationPorts(ports(op.getNotPorts()))
                    .build());
        }
        List<Match> fromMatches = new ArrayList<>();
        for (RuleFrom from : rule.getFrom() == null ? List.<RuleFrom>of() : rule.getFrom()) {
            Source source = from.getSource() == null ? new Source() : from.getSource();
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
