package io.ambientjava.istiod.translate;

import com.google.protobuf.Empty;
import io.ambientjava.api.security.Action;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Group;
import io.ambientjava.api.security.Match;
import io.ambientjava.api.security.Rules;
import io.ambientjava.api.security.Scope;
import io.ambientjava.api.security.StringMatch;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLS;
import io.fabric8.istio.api.api.security.v1beta1.PeerAuthenticationMutualTLSMode;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * PeerAuthentication as ztunnel sees it: DENY policies on connections without a peer identity, as istiod derives
 * them.
 *
 * <ul>
 *   <li>Whenever any PeerAuthentication exists, one static policy {@code <root>/istio_converted_static_strict}
 *       (DENY when no principal is present) is sent; a workload whose effective mode is STRICT lists it.
 *   <li>Effective mode: the oldest selector-less policy of the root namespace (mesh), overridden by the oldest of
 *       the workload's namespace unless that one is UNSET, overridden by the oldest selecting workload policy.
 *       DISABLE behaves as PERMISSIVE (ztunnel has no plaintext-only mode).
 *   <li>Only a workload policy with port-level modes that differ from its effective mode becomes a policy of its
 *       own, {@code <ns>/converted_peer_authentication_<name>}, merged with the strictness it inherits, so that a
 *       port exception is not overridden by the static DENY.
 * </ul>
 *
 * "Oldest" is by {@code metadata.creationTimestamp}; files in a local folder rarely have one, and then the name
 * decides, so that the choice is at least stable.
 */
final class PeerAuthenticationTranslator {

    static final String STATIC_STRICT_NAME = "istio_converted_static_strict";
    static final String CONVERTED_PREFIX = "converted_peer_authentication_";

    private static final Comparator<PeerAuthentication> OLDEST_FIRST = Comparator.comparing(
                    (PeerAuthentication p) -> p.getMetadata().getCreationTimestamp() == null
                            ? "~"
                            : p.getMetadata().getCreationTimestamp())
            .thenComparing(p -> p.getMetadata().getNamespace())
            .thenComparing(p -> p.getMetadata().getName());

    private final MeshSettings settings;

    PeerAuthenticationTranslator(MeshSettings settings) {
        this.settings = settings;
    }

    String staticStrictKey() {
        return settings.rootNamespace() + "/" + STATIC_STRICT_NAME;
    }

    Authorization staticStrict() {
        return Authorization.newBuilder()
                .setName(STATIC_STRICT_NAME)
                .setNamespace(settings.rootNamespace())
                .setScope(Scope.WORKLOAD_SELECTOR)
                .setAction(Action.DENY)
                .addGroups(Group.newBuilder().addRules(denyWithoutIdentity()))
                .build();
    }

    /** The policies (by {@code ns/name}) a workload must list for its effective peer authentication. */
    List<String> policyKeysFor(String namespace, Map<String, String> labels, List<PeerAuthentication> all) {
        PeerAuthentication mesh = null;
        PeerAuthentication namespaceWide = null;
        PeerAuthentication workload = null;
        for (PeerAuthentication policy : all) {
            String policyNamespace = policy.getMetadata().getNamespace();
            boolean selectorless = selectorless(policy);
            if (selectorless && policyNamespace.equals(settings.rootNamespace())) {
                mesh = older(mesh, policy);
            } else if (selectorless && policyNamespace.equals(namespace)) {
                namespaceWide = older(namespaceWide, policy);
            } else if (!selectorless
                    && policyNamespace.equals(namespace)
                    && !policyNamespace.equals(settings.rootNamespace())
                    && LabelSelector.selects(policy.getSpec().getSelector().getMatchLabels(), labels)) {
                workload = older(workload, policy);
            }
        }
        boolean strict = mesh != null && isStrict(mtls(mesh));
        if (namespaceWide != null && !isUnset(mtls(namespaceWide))) {
            strict = isStrict(mtls(namespaceWide));
        }
        String portLevelKey = null;
        if (workload != null) {
            PeerAuthenticationMutualTLS mode = mtls(workload);
            if (isStrict(mode)) {
                strict = true;
            }
            if (isPermissiveOrDisable(mode)) {
                strict = false;
            }
            Map<String, PeerAuthenticationMutualTLS> ports = portLevel(workload);
            if (!ports.isEmpty()) {
                String key = workload.getMetadata().getNamespace() + "/" + convertedName(workload);
                if (isStrict(mode)) {
                    if (ports.values().stream().anyMatch(PeerAuthenticationTranslator::isPermissiveOrDisable)) {
                        portLevelKey = key;
                        strict = false; // the converted policy carries the STRICT default itself
                    }
                } else if (isPermissiveOrDisable(mode)) {
                    if (ports.values().stream().anyMatch(PeerAuthenticationTranslator::isStrict)) {
                        portLevelKey = key;
                    }
                } else if (strict) {
                    if (ports.values().stream().anyMatch(PeerAuthenticationTranslator::isPermissive)) {
                        portLevelKey = key;
                        strict = false;
                    }
                } else if (ports.values().stream().anyMatch(PeerAuthenticationTranslator::isStrict)) {
                    portLevelKey = key;
                }
            }
        }
        TreeSet<String> keys = new TreeSet<>();
        if (strict) {
            keys.add(staticStrictKey());
        }
        if (portLevelKey != null) {
            keys.add(portLevelKey);
        }
        return List.copyOf(keys);
    }

    /**
     * The policy of its own a workload PeerAuthentication with port-level modes needs, if any. {@code all} is every
     * PeerAuthentication, to find the namespace and mesh policies it inherits from.
     */
    Optional<Authorization> convert(PeerAuthentication policy, List<PeerAuthentication> all) {
        String namespace = policy.getMetadata().getNamespace();
        Map<String, PeerAuthenticationMutualTLS> ports = portLevel(policy);
        if (namespace.equals(settings.rootNamespace()) || selectorless(policy) || ports.isEmpty()) {
            return Optional.empty();
        }
        PeerAuthentication namespaceWide = oldestSelectorless(namespace, all);
        PeerAuthentication root = oldestSelectorless(settings.rootNamespace(), all);
        PeerAuthenticationMutualTLS mode = mtls(policy);
        PeerAuthenticationMutualTLS nsMode = namespaceWide == null ? null : mtls(namespaceWide);
        PeerAuthenticationMutualTLS rootMode = root == null ? null : mtls(root);

        List<Rules> rules = new ArrayList<>();
        List<Group> groups = new ArrayList<>();
        if (isStrict(mode)) {
            rules.add(denyWithoutIdentity());
        }
        boolean foundNonStrictPort = false;
        for (var entry : ports.entrySet()) {
            int port = Integer.parseInt(entry.getKey());
            PeerAuthenticationMutualTLS portMode = entry.getValue();
            if (isStrict(portMode)) {
                // Precedence as in istiod: a STRICT port needs no rule of its own when the parent is already STRICT.
                boolean parentStrict = isStrict(mode)
                        || (isUnset(mode) && namespaceWide != null && isStrict(nsMode))
                        || ((namespaceWide == null || isUnset(nsMode)) && root != null && isStrict(rootMode));
                if (parentStrict) {
                    continue;
                }
                groups.add(Group.newBuilder()
                        .addRules(Rules.newBuilder()
                                .addMatches(Match.newBuilder()
                                        .addNotPrincipals(presence())
                                        .addDestinationPorts(port)))
                        .build());
            } else if (isPermissiveOrDisable(portMode)) {
                if (isPermissiveOrDisable(mode)) {
                    continue;
                }
                boolean inheritedNotStrict = isUnset(mode)
                        && ((namespaceWide != null && !isStrict(nsMode))
                                || (namespaceWide == null && root != null && !isStrict(rootMode))
                                || (namespaceWide == null && root == null));
                if (inheritedNotStrict) {
                    continue;
                }
                foundNonStrictPort = true;
                // deny unless the connection is to this port (no identity needed there)
                rules.add(Rules.newBuilder()
                        .addMatches(Match.newBuilder().addNotDestinationPorts(port))
                        .build());
            }
        }
        if (isStrict(mode) && !foundNonStrictPort) {
            return Optional.empty(); // plain STRICT: the static policy covers it
        }
        if (rules.isEmpty() && groups.isEmpty()) {
            return Optional.empty();
        }
        boolean mergeStrict =
                (root != null && isStrict(rootMode) && (namespaceWide == null || isUnset(nsMode) || isStrict(nsMode)))
                        || (namespaceWide != null && isStrict(nsMode));
        if (mergeStrict && foundNonStrictPort) {
            rules.add(denyWithoutIdentity());
        }
        if (!rules.isEmpty()) {
            groups.add(Group.newBuilder().addAllRules(rules).build());
        }
        return Optional.of(Authorization.newBuilder()
                .setName(convertedName(policy))
                .setNamespace(namespace)
                .setScope(Scope.WORKLOAD_SELECTOR)
                .setAction(Action.DENY)
                .addAllGroups(groups)
                .build());
    }

    static String convertedName(PeerAuthentication policy) {
        return CONVERTED_PREFIX + policy.getMetadata().getName();
    }

    private static PeerAuthentication oldestSelectorless(String namespace, List<PeerAuthentication> all) {
        return all.stream()
                .filter(p -> p.getMetadata().getNamespace().equals(namespace))
                .filter(p -> p.getSpec() == null || p.getSpec().getSelector() == null)
                .min(OLDEST_FIRST)
                .orElse(null);
    }

    private static PeerAuthentication older(PeerAuthentication current, PeerAuthentication candidate) {
        return current == null || OLDEST_FIRST.compare(candidate, current) < 0 ? candidate : current;
    }

    private static boolean selectorless(PeerAuthentication policy) {
        var spec = policy.getSpec();
        return spec == null
                || spec.getSelector() == null
                || spec.getSelector().getMatchLabels() == null
                || spec.getSelector().getMatchLabels().isEmpty();
    }

    private static Map<String, PeerAuthenticationMutualTLS> portLevel(PeerAuthentication policy) {
        var spec = policy.getSpec();
        if (spec == null || spec.getPortLevelMtls() == null) {
            return Map.of();
        }
        TreeMap<String, PeerAuthenticationMutualTLS> sorted = new TreeMap<>(Comparator.comparingInt(Integer::parseInt));
        sorted.putAll(spec.getPortLevelMtls());
        return sorted;
    }

    private static PeerAuthenticationMutualTLS mtls(PeerAuthentication policy) {
        return policy.getSpec() == null ? null : policy.getSpec().getMtls();
    }

    private static boolean isUnset(PeerAuthenticationMutualTLS mtls) {
        return mtls == null || mtls.getMode() == null || mtls.getMode() == PeerAuthenticationMutualTLSMode.UNSET;
    }

    private static boolean isStrict(PeerAuthenticationMutualTLS mtls) {
        return mtls != null && mtls.getMode() == PeerAuthenticationMutualTLSMode.STRICT;
    }

    private static boolean isPermissive(PeerAuthenticationMutualTLS mtls) {
        return mtls != null && mtls.getMode() == PeerAuthenticationMutualTLSMode.PERMISSIVE;
    }

    private static boolean isPermissiveOrDisable(PeerAuthenticationMutualTLS mtls) {
        return mtls != null
                && (mtls.getMode() == PeerAuthenticationMutualTLSMode.PERMISSIVE
                        || mtls.getMode() == PeerAuthenticationMutualTLSMode.DISABLE);
    }

    private static Rules denyWithoutIdentity() {
        return Rules.newBuilder()
                .addMatches(Match.newBuilder().addNotPrincipals(presence()))
                .build();
    }

    private static StringMatch presence() {
        return StringMatch.newBuilder().setPresence(Empty.getDefaultInstance()).build();
    }
}
