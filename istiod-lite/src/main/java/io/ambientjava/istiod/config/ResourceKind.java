package io.ambientjava.istiod.config;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * The resource kinds istiod-lite reads, with the API versions it accepts for each and the fabric8 model class a
 * document is read into. Istio's CRDs serve the same schema under every listed version, so one model class
 * stands for all of them.
 */
public enum ResourceKind {
    NAMESPACE("", "Namespace", Set.of("v1"), false, io.fabric8.kubernetes.api.model.Namespace.class),
    POD("", "Pod", Set.of("v1"), true, io.fabric8.kubernetes.api.model.Pod.class),
    SERVICE("", "Service", Set.of("v1"), true, io.fabric8.kubernetes.api.model.Service.class),
    SERVICE_ACCOUNT("", "ServiceAccount", Set.of("v1"), true, io.fabric8.kubernetes.api.model.ServiceAccount.class),
    /** TLS certificates for ingress gateways ({@code credentialName}, {@code certificateRefs}). */
    SECRET("", "Secret", Set.of("v1"), true, io.fabric8.kubernetes.api.model.Secret.class),
    /** CA certificates a Gateway API Gateway checks client certificates against ({@code caCertificateRefs}). */
    CONFIG_MAP("", "ConfigMap", Set.of("v1"), true, io.fabric8.kubernetes.api.model.ConfigMap.class),
    PEER_AUTHENTICATION(
            "security.istio.io",
            "PeerAuthentication",
            Set.of("v1", "v1beta1"),
            true,
            io.fabric8.istio.api.security.v1.PeerAuthentication.class),
    AUTHORIZATION_POLICY(
            "security.istio.io",
            "AuthorizationPolicy",
            Set.of("v1", "v1beta1"),
            true,
            io.fabric8.istio.api.security.v1.AuthorizationPolicy.class),
    REQUEST_AUTHENTICATION(
            "security.istio.io",
            "RequestAuthentication",
            Set.of("v1", "v1beta1"),
            true,
            io.fabric8.istio.api.security.v1.RequestAuthentication.class),
    VIRTUAL_SERVICE(
            "networking.istio.io",
            "VirtualService",
            Set.of("v1", "v1beta1", "v1alpha3"),
            true,
            io.fabric8.istio.api.networking.v1.VirtualService.class),
    DESTINATION_RULE(
            "networking.istio.io",
            "DestinationRule",
            Set.of("v1", "v1beta1", "v1alpha3"),
            true,
            io.fabric8.istio.api.networking.v1.DestinationRule.class),
    ISTIO_GATEWAY(
            "networking.istio.io",
            "Gateway",
            Set.of("v1", "v1beta1", "v1alpha3"),
            true,
            io.fabric8.istio.api.networking.v1.Gateway.class),
    SERVICE_ENTRY(
            "networking.istio.io",
            "ServiceEntry",
            Set.of("v1", "v1beta1", "v1alpha3"),
            true,
            io.fabric8.istio.api.networking.v1.ServiceEntry.class),
    SIDECAR(
            "networking.istio.io",
            "Sidecar",
            Set.of("v1", "v1beta1", "v1alpha3"),
            true,
            io.fabric8.istio.api.networking.v1.Sidecar.class),
    WORKLOAD_ENTRY(
            "networking.istio.io",
            "WorkloadEntry",
            Set.of("v1", "v1beta1", "v1alpha3"),
            true,
            io.fabric8.istio.api.networking.v1.WorkloadEntry.class),
    ENVOY_FILTER(
            "networking.istio.io",
            "EnvoyFilter",
            Set.of("v1alpha3"),
            true,
            io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter.class),
    TELEMETRY(
            "telemetry.istio.io",
            "Telemetry",
            Set.of("v1", "v1alpha1"),
            true,
            io.fabric8.istio.api.telemetry.v1.Telemetry.class),
    /** Gateway API Gateway; with class {@code istio-waypoint} it is a waypoint. */
    GATEWAY(
            "gateway.networking.k8s.io",
            "Gateway",
            Set.of("v1", "v1beta1"),
            true,
            io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway.class),
    GATEWAY_CLASS(
            "gateway.networking.k8s.io",
            "GatewayClass",
            Set.of("v1", "v1beta1"),
            false,
            io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass.class),
    HTTP_ROUTE(
            "gateway.networking.k8s.io",
            "HTTPRoute",
            Set.of("v1", "v1beta1"),
            true,
            io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class),
    GRPC_ROUTE(
            "gateway.networking.k8s.io",
            "GRPCRoute",
            Set.of("v1"),
            true,
            io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute.class),
    /** Gateway API TLSRoute: SNI routing at a TLS (passthrough) listener. */
    TLS_ROUTE(
            "gateway.networking.k8s.io",
            "TLSRoute",
            Set.of("v1alpha2"),
            true,
            io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TLSRoute.class),
    /** Gateway API TCPRoute: a TCP listener's connections to its backends, split by weight. */
    TCP_ROUTE(
            "gateway.networking.k8s.io",
            "TCPRoute",
            Set.of("v1alpha2"),
            true,
            io.fabric8.kubernetes.api.model.gatewayapi.v1alpha2.TCPRoute.class),
    /** Gateway API BackendTLSPolicy: the TLS a gateway or waypoint originates to a Service's endpoints. */
    BACKEND_TLS_POLICY(
            "gateway.networking.k8s.io",
            "BackendTLSPolicy",
            Set.of("v1", "v1alpha3"),
            true,
            io.fabric8.kubernetes.api.model.gatewayapi.v1.BackendTLSPolicy.class),
    /** Lets a Gateway in another namespace use a Secret of this one (or other cross-namespace references). */
    REFERENCE_GRANT(
            "gateway.networking.k8s.io",
            "ReferenceGrant",
            Set.of("v1beta1"),
            true,
            io.fabric8.kubernetes.api.model.gatewayapi.v1beta1.ReferenceGrant.class),
    ENDPOINT_SLICE(
            "discovery.k8s.io",
            "EndpointSlice",
            Set.of("v1"),
            true,
            io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class),
    NODE("", "Node", Set.of("v1"), false, io.fabric8.kubernetes.api.model.Node.class);

    private final String group;
    private final String kind;
    private final Set<String> versions;
    private final boolean namespaced;
    private final Class<? extends HasMetadata> modelClass;

    ResourceKind(
            String group,
            String kind,
            Set<String> versions,
            boolean namespaced,
            Class<? extends HasMetadata> modelClass) {
        this.group = group;
        this.kind = kind;
        this.versions = versions;
        this.namespaced = namespaced;
        this.modelClass = modelClass;
    }

    /** The kind with this API group (empty for core) and kind name, whatever the version. */
    public static Optional<ResourceKind> find(String group, String kind) {
        return Arrays.stream(values())
                .filter(k -> k.group.equals(group) && k.kind.equals(kind))
                .findFirst();
    }

    public String group() {
        return group;
    }

    public String kind() {
        return kind;
    }

    public Set<String> versions() {
        return versions;
    }

    public boolean namespaced() {
        return namespaced;
    }

    public Class<? extends HasMetadata> modelClass() {
        return modelClass;
    }

    /** {@code Pod} for core kinds, {@code AuthorizationPolicy.security.istio.io} otherwise, as kubectl writes them. */
    public String qualifiedName() {
        return group.isEmpty() ? kind : kind + "." + group;
    }
}
