package io.ambientjava.istiod.translate.envoy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import java.util.List;

/** The {@code parentRefs} and {@code hostnames} of the Gateway API route kinds served over HTTP. */
final class GatewayRouteParents {

    private GatewayRouteParents() {}

    static List<ParentReference> of(HasMetadata route) {
        return switch (route) {
            case HTTPRoute http ->
                http.getSpec() == null
                        ? List.of()
                        : MeshServices.listOrEmpty(http.getSpec().getParentRefs());
            case GRPCRoute grpc ->
                grpc.getSpec() == null
                        ? List.of()
                        : MeshServices.listOrEmpty(grpc.getSpec().getParentRefs());
            default -> throw new IllegalArgumentException("not an HTTP or gRPC route: " + route.getKind());
        };
    }

    static List<String> hostnames(HasMetadata route) {
        return switch (route) {
            case HTTPRoute http ->
                http.getSpec() == null
                        ? List.of()
                        : MeshServices.listOrEmpty(http.getSpec().getHostnames());
            case GRPCRoute grpc ->
                grpc.getSpec() == null
                        ? List.of()
                        : MeshServices.listOrEmpty(grpc.getSpec().getHostnames());
            default -> throw new IllegalArgumentException("not an HTTP or gRPC route: " + route.getKind());
        };
    }
}
