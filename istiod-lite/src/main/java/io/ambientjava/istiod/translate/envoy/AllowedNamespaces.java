package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Gateway listener's {@code allowedRoutes.namespaces}: {@code Same} (the default) admits routes from the
 * Gateway's namespace, {@code All} from any, {@code Selector} from the namespaces whose labels its label selector
 * ({@code matchLabels} and {@code matchExpressions}) takes.
 */
final class AllowedNamespaces {

    private AllowedNamespaces() {}

    /** Why a route from {@code routeNamespace} may not attach, or empty when it may. */
    static Optional<String> refusal(
            Listener listener, String gatewayNamespace, String routeNamespace, ConfigSnapshot snapshot) {
        var namespaces = listener.getAllowedRoutes() == null
                ? null
                : listener.getAllowedRoutes().getNamespaces();
        String from = namespaces == null || namespaces.getFrom() == null ? "Same" : namespaces.getFrom();
        return switch (from) {
            case "All" -> Optional.empty();
            case "Selector" -> {
                var selector = namespaces.getSelector();
                Map<String, String> labels = snapshot.namespace(routeNamespace)
                        .map(io.ambientjava.istiod.translate.LabelSelector::labelsOf)
                        .orElse(Map.of());
                yield selector != null && selects(selector, labels)
                        ? Optional.empty()
                        : Optional.of("admits routes only from namespaces its selector picks, and " + routeNamespace
                                + " is not one");
            }
            default ->
                routeNamespace.equals(gatewayNamespace)
                        ? Optional.empty()
                        : Optional.of("allows routes from its own namespace only");
        };
    }

    private static boolean selects(io.fabric8.kubernetes.api.model.LabelSelector selector, Map<String, String> labels) {
        if (!io.ambientjava.istiod.translate.LabelSelector.selects(selector.getMatchLabels(), labels)) {
            return false;
        }
        for (LabelSelectorRequirement requirement : MeshServices.listOrEmpty(selector.getMatchExpressions())) {
            String value = labels.get(requirement.getKey());
            List<String> values = MeshServices.listOrEmpty(requirement.getValues());
            boolean ok = switch (requirement.getOperator() == null ? "" : requirement.getOperator()) {
                case "In" -> value != null && values.contains(value);
                case "NotIn" -> value == null || !values.contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
