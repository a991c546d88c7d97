package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.ReferenceGrant;

/**
 * Gateway API's rule for references across namespaces: an object may refer to one in another namespace only when a
 * ReferenceGrant in the target's namespace lets objects of its kind, from its namespace, refer to that kind (all
 * of that kind, or the one {@code to.name} names).
 */
final class ReferenceGrants {

    static final String GATEWAY_GROUP = "gateway.networking.k8s.io";

    private ReferenceGrants() {}

    /**
     * Whether a route ({@code routeKind} in {@code routeNamespace}) may send to the Service {@code serviceNamespace}
     * (null or empty: its own) / {@code name}; when not, says so and the backend is not used, as Gateway API asks.
     */
    static boolean mayReferenceService(
            ConfigSnapshot snapshot,
            String routeKind,
            String routeNamespace,
            String serviceNamespace,
            String name,
            java.util.function.Consumer<String> warn) {
        if (serviceNamespace == null || serviceNamespace.isEmpty() || serviceNamespace.equals(routeNamespace)) {
            return true;
        }
        if (allow(snapshot, routeKind, routeNamespace, "Service", serviceNamespace, name)) {
            return true;
        }
        warn.accept("backendRef to Service " + serviceNamespace + "/" + name + " is not used: no ReferenceGrant in "
                + serviceNamespace + " lets " + routeKind + "s of " + routeNamespace + " refer to it");
        return false;
    }

    /**
     * Whether a {@code fromKind} (of the Gateway API group) in {@code fromNamespace} may refer to the {@code toKind}
     * (core group) {@code toName} in {@code toNamespace}.
     */
    static boolean allow(
            ConfigSnapshot snapshot,
            String fromKind,
            String fromNamespace,
            String toKind,
            String toNamespace,
            String toName) {
        for (ReferenceGrant grant : snapshot.all(ResourceKind.REFERENCE_GRANT, ReferenceGrant.class)) {
            if (!toNamespace.equals(grant.getMetadata().getNamespace()) || grant.getSpec() == null) {
                continue;
            }
            boolean from = MeshServices.listOrEmpty(grant.getSpec().getFrom()).stream()
                    .anyMatch(f -> GATEWAY_GROUP.equals(f.getGroup())
                            && fromKind.equals(f.getKind())
                            && fromNamespace.equals(f.getNamespace()));
            boolean to = MeshServices.listOrEmpty(grant.getSpec().getTo()).stream()
                    .anyMatch(t -> (t.getGroup() == null || t.getGroup().isEmpty())
                            && toKind.equals(t.getKind())
                            && (t.getName() == null
                                    || t.getName().isEmpty()
                                    || t.getName().equals(toName)));
            if (from && to) {
                return true;
            }
        }
        return false;
    }
}
