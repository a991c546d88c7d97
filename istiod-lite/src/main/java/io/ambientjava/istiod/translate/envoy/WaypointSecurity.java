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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The L7 security filters of one waypoint listener. Policies bind to a waypoint through {@code targetRefs}: a reference to the waypoint's {@code Gateway} applies to every service
 * the waypoint serves, a reference to a {@code Service} (in the policy's namespace) only to that service's listeners,
 * and a reference to the {@code GatewayClass istio-waypoint} from the root namespace to every waypoint.
 * A {@code selector} policy binds to the listeners of the services whose pods it selects when the policy needs a
 * waypoint: every RequestAuthentication, and AuthorizationPolicies with HTTP attributes or the AUDIT action (ztunnel
 * enforces the rest, and gets an L4 form of these that lets the waypoint through; see the ztunnel translation).
 * Since the waypoint has one HTTP connection manager per service port, scoping is per listener: a listener carries
 * exactly the filters of the policies that apply to its service.
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

    /** The filters to put before {@code fault} and {@code router}: jwt_authn, then rbac (AUDIT, DENY, ALLOW). */
    List<HttpFilter> filters(WaypointIndex.Waypoint waypoint, MeshServices.MeshService service) {
        List<RequestAuthentication> authentications = new ArrayList<>();
        for (RequestAuthentication ra : requestAuthentications) {
            if (ra.getSpec() != null
                            && targets(
                                    ra,
                                    targetRefs(
                                            ra.getSpec().getTargetRef(),
                                            ra.getSpec().getTargetRefs()),
                                    waypoint,
                                    service)
                    || selects(
                            ra,
                            ra.getSpec().getSelector(),
                            untargeted(ra.getSpec().getTargetRef(), ra.getSpec().getTargetRefs()),
                            waypoint,
                            service)) {
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
                                    service)
                    || selects(
                            policy,
                            policy.getSpec().getSelector(),
                            untargeted(
                                            policy.getSpec().getTargetRef(),
                                            policy.getSpec().getTargetRefs())
                                    && needsWaypoint(policy),
                            waypoint,
                            service)) {
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
                                + service.hostname() + " at waypoint " + waypoint.key()
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
     * A {@code selector} policy (without targetRefs) applies at this listener when the service's pods include one it
     * selects: the waypoint is then in front of that workload for this service's traffic.
     */
    private boolean selects(
            HasMetadata policy,
            WorkloadSelector selector,
            boolean eligible,
            WaypointIndex.Waypoint waypoint,
            MeshServices.MeshService service) {
        if (selector == null || !eligible) {
            return false;
        }
        String namespace = policy.getMetadata().getNamespace();
        if (!namespace.equals(service.namespace()) && !namespace.equals(scope.settings.rootNamespace())) {
            return false;
        }
        Map<String, String> labels = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
        boolean selected = scope.services.backends(service.hostname()).stream()
                .anyMatch(backend -> LabelSelector.selects(labels, backend.labels()));
        if (selected) {
            List<String> where = selectedAt.computeIfAbsent(id(policy), k -> new ArrayList<>());
            String entry = "waypoint " + waypoint.key() + " (for " + service.namespace() + "/" + service.name() + ")";
            if (!where.contains(entry)) {
                where.add(entry);
            }
        }
        return selected;
    }

    private boolean targets(
            HasMetadata policy,
            List<PolicyTargetReference> refs,
            WaypointIndex.Waypoint waypoint,
            MeshServices.MeshService service) {
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
            boolean svc = "Service".equals(ref.getKind())
                    && (group.isEmpty() || group.equals("core"))
                    && service.namespace().equals(namespace)
                    && service.name().equals(ref.getName());
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
