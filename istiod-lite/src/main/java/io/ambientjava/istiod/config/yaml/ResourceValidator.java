package io.ambientjava.istiod.config.yaml;

import io.ambientjava.istiod.config.IpPrefix;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import java.util.ArrayList;
import java.util.List;

/** The semantic checks for a decoded resource, beyond what its model type enforces. */
final class ResourceValidator {

    private ResourceValidator() {}

    static List<FieldIssue> validate(ResourceKind kind, HasMetadata resource) {
        List<FieldIssue> issues = new ArrayList<>();
        MetadataRules.checkName(kind, resource.getMetadata().getName(), "metadata.name", issues);
        if (kind.namespaced()) {
            MetadataRules.checkDnsLabel(resource.getMetadata().getNamespace(), "metadata.namespace", issues);
        }
        MetadataRules.checkLabels(resource.getMetadata(), issues);
        switch (kind) {
            case POD -> CoreResourceRules.checkPod((Pod) resource, issues);
            case SERVICE -> CoreResourceRules.checkService((Service) resource, issues);
            case PEER_AUTHENTICATION ->
                SecurityPolicyRules.checkPeerAuthentication((PeerAuthentication) resource, issues);
            case AUTHORIZATION_POLICY ->
                SecurityPolicyRules.checkAuthorizationPolicy((AuthorizationPolicy) resource, issues);
            case REQUEST_AUTHENTICATION ->
                SecurityPolicyRules.checkRequestAuthentication(
                        (io.fabric8.istio.api.security.v1.RequestAuthentication) resource, issues);
            case GATEWAY -> checkGateway((Gateway) resource, issues);
            case VIRTUAL_SERVICE ->
                NetworkingRules.checkVirtualService(
                        (io.fabric8.istio.api.networking.v1.VirtualService) resource, issues);
            case DESTINATION_RULE ->
                NetworkingRules.checkDestinationRule(
                        (io.fabric8.istio.api.networking.v1.DestinationRule) resource, issues);
            case ENVOY_FILTER ->
                issues.addAll(io.ambientjava.istiod.config.envoyfilter.EnvoyFilterParser.parse(
                                (io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter) resource)
                        .issues());
            default -> {
                // Kept for later translation; their model types already enforce the structure.
            }
        }
        return issues;
    }

    private static void checkGateway(Gateway gateway, List<FieldIssue> issues) {
        if (gateway.getSpec() == null
                || gateway.getSpec().getGatewayClassName() == null
                || gateway.getSpec().getGatewayClassName().isEmpty()) {
            issues.add(FieldIssue.error("spec.gatewayClassName", "required"));
        }
        var status = gateway.getStatus();
        if (status != null && status.getAddresses() != null) {
            for (int i = 0; i < status.getAddresses().size(); i++) {
                var address = status.getAddresses().get(i);
                boolean ipType = address.getType() == null || address.getType().equals("IPAddress");
                if (ipType && IpPrefix.parseAddress(address.getValue()).isEmpty()) {
                    issues.add(FieldIssue.error(
                            "status.addresses[" + i + "].value", "'" + address.getValue() + "' is not an IP address"));
                }
            }
        }
    }
}
