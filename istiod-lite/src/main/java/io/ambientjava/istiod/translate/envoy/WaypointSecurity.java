package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.L7Attributes;
import io.ambientjava.istiod.translate.LabelSelector;
import io.ambientjava.istiod.translate.WaypointIndex;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.type.v1beta1.PolicyTargetReference;
import io.fabric8.istio.api.api.type.v1beta1.WorkloadSelector;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.RequestAuthentication;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The L7 security filters of one waypoint listener (a service port) or {@code inbound-pod} filter chain (a pod
 * addressed directly). Policies bind to a waypoint through {@code targetRefs}: a reference to the waypoint's
 * {@code Gateway} applies to everything the waypoint serves, a reference to a {@code Service} (in the policy's
 * namespace) only to that service's listeners (not to its pods addressed directly), and a reference to the
 * {@code GatewayClass istio-waypoint} from the root namespace to every waypoint.
 * A {@code selector} policy binds to the listeners of the services whose pods it selects, and to the chains of the
 * pods it selects, when the policy needs a waypoint: every RequestAuthentication, and AuthorizationPolicies with HTTP
 * attributes or the AUDIT action (ztunnel enforces the rest, and gets an L4 form of these that lets the waypoint
 * through; see the ztunnel translation).
 * Since the waypoint has one HTTP connection manager per service port and per pod IP, scoping is per listener (or
 * chain): each carries exactly the filters of the policies that apply to what it serves.
 */
final class WaypointSecurity {

    private static final Logger log = LoggerFactory.getLogger(WaypointSecurity.class);
    private static final String GATEWAY_GROUP = "gateway.networking.k8s.io";

    private final TranslationScope scope;
    private final List<AuthorizationPolicy> authorizationPolicies;
    private final List<RequestAuthentication> requestAuthentications;
    /** Targeted policies some listener applied, so the ones that reached no waypoint can be reported. */
    private final Set<String> applied = new HashSet<>();
    /** Selector policies some listener applied, with where (for the log and the report). */
    private final Map<String, List<String>> selectedAt = new TreeMap<>();

    WaypointSecurity(TranslationScope scope) {
        this.scope = scope;
        this.authorizationPolicies = scope.snapshot.all(ResourceKind.AUTHORIZATION_POLICY, AuthorizationPolicy.class);
        this.requestAuthentications =
                scope.snapshot.all(ResourceKind.REQUEST_AUTHENTICATION, RequestAuthentication.class);
    }

    /**
     * What a listener (or a filter chain) of the waypoint serves, as policies see it: a Service (reached by its
     * targetRefs, and by selectors that select one of its pods), or one pod addressed directly (by selectors that
     * select it; a Service's targetRefs do not reach it).
     *
     * @param service the Service's (or ServiceEntry's) name; null for a pod
     * @param serviceKind {@code Service} or {@code ServiceEntry}, as a policy's targetRefs name it; null for a pod
     * @param workloads the labels of the pods behind it (computed only when a selector policy asks)
     * @param description how warnings name it
     * @param entry how the selector report names it after the waypoint
     */
    private record Served(
            String namespace,
            String service,
            String serviceKind,
            Supplier<List<Map<String, String>>> workloads,
            String description,
            String entry) {}

    /** The filters of a service's listener, to put before {@code fault} and {@code router}. */
    List<HttpFilter> filters(WaypointIndex.Waypoint waypoint, MeshServices.MeshService service) {
        return filters(
                waypoint,
                new Served(
                        service.namespace(),
                        service.name(),
                        service.kind(),
                        () -> scope.services.backends(service.hostname()).stream()
                                .map(MeshServices.Backend::labels)
                                .toList(),
                        service.hostname(),
                        service.namespace() + "/" + service.name()));
    }

    /** The filters of the {@code inbound-pod} chain of a pod bound to the waypoint for workload-addressed traffic. */
    List<HttpFilter> filters(WaypointIndex.Waypoint waypoint, Pod pod) {
        String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        return filters(
                waypoint,
                new Served(
                        pod.getMetadata().getNamespace(),
                        null,
                        null,
                        () -> List.of(LabelSelector.labelsOf(pod)),
                        "pod " + name,
                        "pod " + name));
    }

    /** jwt_authn, then rbac (AUDIT, DENY, ALLOW), for the policies that reach what the listener serves. */
    private List<HttpFilter> filters(WaypointIndex.Waypoint waypoint, Served served) {
        List<RequestAuthentication> authentications = new ArrayList<>();
        for (RequestAuthentication ra : requestAuthentications) {
            if (ra.getSpec() != null
                            && targets(
                                    ra,
                                    targetRefs(
                                            ra.getSpec().getTargetRef(),
                                            ra.getSpec().getTargetRefs()),
                                    waypoint,
                                    served)
                    || selects(
                            ra,
                            ra.getSpec().getSelector(),
                            untargeted(ra.getSpec().getTargetRef(), ra.getSpec().getTargetRefs()),
                            waypoint,
                            served)) {
                authentications.add(ra);
            }
        }
        List<AuthorizationPolicy> policies = new ArrayList<>();
        for (AuthorizationPolicy policy : authorizationPolicies) {
            if (policy.getSpec() != null
                            && targets(
                                    policy,
                                    targetRefs(
                                            policy.getSpec().getTargetRef(),
                                            policy.getSpec().getTargetRefs()),
                                    waypoint,
                                    served)
                    || selects(
                            policy,
                            policy.getSpec().getSelector(),
                            untargeted(
                                            policy.getSpec().getTargetRef(),
                                            policy.getSpec().getTargetRefs())
                                    && needsWaypoint(policy),
                            waypoint,
                            served)) {
                policies.add(policy);
            }
        }
        List<HttpFilter> filters = new ArrayList<>();
        boolean authenticates = JwtAuthnTranslator.translate(
                        authentications, ra -> scope.warnTo(ResourceKind.REQUEST_AUTHENTICATION, ra))
                .map(filters::add)
                .orElse(false);
        RbacTranslator.Result rbac = new RbacTranslator(scope.settings.trustDomain())
                .translate(policies, p -> scope.warnTo(ResourceKind.AUTHORIZATION_POLICY, p));
        filters.addAll(rbac.filters());
        if (rbac.usesJwt() && !authenticates) {
            for (AuthorizationPolicy policy : policies) {
                scope.warn(
                        key(ResourceKind.AUTHORIZATION_POLICY, policy),
                        "uses request principals or JWT claims but no RequestAuthentication applies to "
                                + served.description() + " at waypoint " + waypoint.key()
                                + "; no request carries a verified token there, so those rules never match");
            }
        }
        return filters;
    }

    /** Reports policies whose targetRefs reached no waypoint listener (to call after every waypoint is done). */
    void reportUnapplied() {
        for (AuthorizationPolicy policy : authorizationPolicies) {
            if (policy.getSpec() != null
                    && !targetRefs(
                                    policy.getSpec().getTargetRef(),
                                    policy.getSpec().getTargetRefs())
                            .isEmpty()
                    && !applied.contains(id(policy))) {
                scope.warn(
                        key(ResourceKind.AUTHORIZATION_POLICY, policy),
                        "its targetRefs name no waypoint nor any service a waypoint serves; it is not enforced");
            }
        }
        for (RequestAuthentication ra : requestAuthentications) {
            if (ra.getSpec() == null) {
                continue;
            }
            boolean targeted = !targetRefs(
                            ra.getSpec().getTargetRef(), ra.getSpec().getTargetRefs())
                    .isEmpty();
            if (!targeted && ra.getSpec().getSelector() != null) {
                List<String> where = selectedAt.get(id(ra));
                if (where == null) {
                    scope.warn(
                            key(ResourceKind.REQUEST_AUTHENTICATION, ra),
                            "no waypoint serves the workloads its selector selects: in ambient mode JWTs are checked"
                                    + " by waypoints only, so it is not enforced (bind the workloads' services to a"
                                    + " waypoint with istio.io/use-waypoint, or target one with targetRefs)");
                } else {
                    log.debug(
                            "selector RequestAuthentication {}/{} is enforced at {}",
                            ra.getMetadata().getNamespace(),
                            ra.getMetadata().getName(),
                            String.join(", ", where));
                    scope.warn(
                            key(ResourceKind.REQUEST_AUTHENTICATION, ra),
                            "enforced at " + String.join(", ", where)
                                    + ", which serves the workloads its selector selects");
                }
            } else if (!targeted) {
                scope.warn(
                        key(ResourceKind.REQUEST_AUTHENTICATION, ra),
                        "has no targetRefs: in ambient mode JWTs are checked by waypoints only, so bind it to a"
                                + " waypoint or a service with targetRefs; it is not enforced");
            } else if (!applied.contains(id(ra))) {
                scope.warn(
                        key(ResourceKind.REQUEST_AUTHENTICATION, ra),
                        "its targetRefs name no waypoint nor any service a waypoint serves; it is not enforced");
            }
        }
    }

    /** Selector AuthorizationPolicies the waypoint takes over: those ztunnel cannot enforce (HTTP rules, AUDIT). */
    private static boolean needsWaypoint(AuthorizationPolicy policy) {
        return !L7Attributes.of(policy).isEmpty() || policy.getSpec().getAction() == AuthorizationPolicyAction.AUDIT;
    }

    /**
     * A {@code selector} policy (without targetRefs) applies at this listener when it selects one of the pods the
     * listener serves (the policy in their namespace, or the root namespace): the waypoint is then in front of that
     * workload for this traffic.
     */
    private boolean selects(
            HasMetadata policy,
            WorkloadSelector selector,
            boolean eligible,
            WaypointIndex.Waypoint waypoint,
            Served served) {
        if (selector == null || !eligible) {
            return false;
        }
        String namespace = policy.getMetadata().getNamespace();
        if (!namespace.equals(served.namespace()) && !namespace.equals(scope.settings.rootNamespace())) {
            return false;
        }
        Map<String, String> labels = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
        boolean selected =
                served.workloads().get().stream().anyMatch(workload -> LabelSelector.selects(labels, workload));
        if (selected) {
            List<String> where = selectedAt.computeIfAbsent(id(policy), k -> new ArrayList<>());
            String entry = "waypoint " + waypoint.key() + " (for " + served.entry() + ")";
            if (!where.contains(entry)) {
                where.add(entry);
            }
        }
        return selected;
    }

    private boolean targets(
            HasMetadata policy, List<PolicyTargetReference> refs, WaypointIndex.Waypoint waypoint, Served served) {
        String namespace = policy.getMetadata().getNamespace();
        for (PolicyTargetReference ref : refs) {
            if (ref.getNamespace() != null
                    && !ref.getNamespace().isEmpty()
                    && !ref.getNamespace().equals(namespace)) {
                continue; // Istio allows targets in the policy's own namespace only
            }
            String group = ref.getGroup() == null ? "" : ref.getGroup();
            boolean gateway = "Gateway".equals(ref.getKind())
                    && GATEWAY_GROUP.equals(group)
                    && waypoint.namespace().equals(namespace)
                    && waypoint.name().equals(ref.getName());
            boolean kindMatches = "Service".equals(ref.getKind())
                    ? group.isEmpty() || group.equals("core")
                    : "ServiceEntry".equals(ref.getKind()) && group.equals("networking.istio.io");
            boolean svc = kindMatches
                    && ref.getKind().equals(served.serviceKind())
                    && served.service() != null
                    && served.namespace().equals(namespace)
                    && served.service().equals(ref.getName());
            boolean everyWaypoint = "GatewayClass".equals(ref.getKind())
                    && GATEWAY_GROUP.equals(group)
                    && WaypointIndex.WAYPOINT_CLASS.equals(ref.getName())
                    && scope.settings.rootNamespace().equals(namespace);
            if (gateway || svc || everyWaypoint) {
                applied.add(id(policy));
                return true;
            }
        }
        return false;
    }

    private static boolean untargeted(PolicyTargetReference single, List<PolicyTargetReference> many) {
        return targetRefs(single, many).isEmpty();
    }

    private static List<PolicyTargetReference> targetRefs(
            PolicyTargetReference single, List<PolicyTargetReference> many) {
        List<PolicyTargetReference> refs = new ArrayList<>();
        if (single != null) {
            refs.add(single);
        }
        if (many != null) {
            refs.addAll(many);
        }
        return refs;
    }

    private static String id(HasMetadata policy) {
        return policy.getClass().getSimpleName() + "/" + policy.getMetadata().getNamespace() + "/"
                + policy.getMetadata().getName();
    }

    private static io.ambientjava.istiod.config.ResourceKey key(ResourceKind kind, HasMetadata object) {
        return new io.ambientjava.istiod.config.ResourceKey(
                kind, object.getMetadata().getNamespace(), object.getMetadata().getName());
    }
}
