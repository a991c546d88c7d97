package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.UInt32Value;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeader;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRequestMirrorFilter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What HTTPRoute and GRPCRoute rules share: backends by Service {@code name}/{@code namespace}/{@code port} with a
 * {@code weight} (default 1; 0 leaves a backend out) and header modifier filters of their own (on the backend's
 * weighted cluster, as Istio puts a VirtualService destination's {@code headers}), the rule's header modifier
 * filters, and the mirror filter. Every
 * Service in another namespace needs a ReferenceGrant there from the route's kind.
 */
final class RouteBackends {

    /**
     * One {@code backendRefs} entry of either route kind, with the header operations of its own filters (for this
     * backend only) and the types of its filters that are not header modifiers.
     */
    record Ref(
            String kind,
            String name,
            String namespace,
            Integer port,
            Integer weight,
            HeaderOps request,
            HeaderOps response,
            List<String> otherFilters) {

        /**
         * A backendRef whose filters are given by type with their header modifiers (either route kind's filter type
         * has these three accessors).
         */
        static <F> Ref of(
                String kind,
                String name,
                String namespace,
                Integer port,
                Integer weight,
                List<F> filters,
                java.util.function.Function<F, String> type,
                java.util.function.Function<F, HTTPHeaderFilter> requestModifier,
                java.util.function.Function<F, HTTPHeaderFilter> responseModifier) {
            HeaderOps request = HeaderOps.NONE;
            HeaderOps response = HeaderOps.NONE;
            List<String> others = new java.util.ArrayList<>();
            for (F filter : filters) {
                String t = type.apply(filter) == null ? "" : type.apply(filter);
                switch (t) {
                    case "RequestHeaderModifier" -> request = request.and(HeaderOps.of(requestModifier.apply(filter)));
                    case "ResponseHeaderModifier" ->
                        response = response.and(HeaderOps.of(responseModifier.apply(filter)));
                    default -> others.add(t);
                }
            }
            return new Ref(kind, name, namespace, port, weight, request, response, List.copyOf(others));
        }
    }

    private final String routeKind;
    private final String routeNamespace;
    private final int listenerPort;
    private final ClusterSet clusters;
    private final ConfigSnapshot snapshot;
    private final Consumer<String> warn;

    RouteBackends(
            String routeKind,
            String routeNamespace,
            int listenerPort,
            ClusterSet clusters,
            ConfigSnapshot snapshot,
            Consumer<String> warn) {
        this.routeKind = routeKind;
        this.routeNamespace = routeNamespace;
        this.listenerPort = listenerPort;
        this.clusters = clusters;
        this.snapshot = snapshot;
        this.warn = warn;
    }

    /**
     * The route sent to its backends ({@code action} holds what the filters set), or a 500 when none is left, as
     * the Gateway API specifies for a rule without usable backends.
     */
    Route.Builder sendTo(Route.Builder route, RouteAction.Builder action, List<Ref> backends) {
        WeightedCluster.Builder split = WeightedCluster.newBuilder();
        for (Ref backend : backends) {
            if (backend.weight() != null && backend.weight() <= 0) {
                continue;
            }
            for (String type : backend.otherFilters()) {
                warn.accept("filter type '" + type + "' on backendRef '" + backend.name() + "' is not supported;"
                        + " ignored (a backendRef takes RequestHeaderModifier and ResponseHeaderModifier)");
            }
            Optional<String> cluster = cluster(backend.kind(), backend.name(), backend.namespace(), backend.port());
            if (cluster.isEmpty()) {
                continue;
            }
            split.addClusters(WeightedCluster.ClusterWeight.newBuilder()
                    .setName(cluster.get())
                    .setWeight(UInt32Value.of(backend.weight() == null ? 1 : backend.weight()))
                    .addAllRequestHeadersToAdd(backend.request().add())
                    .addAllRequestHeadersToRemove(backend.request().remove())
                    .addAllResponseHeadersToAdd(backend.response().add())
                    .addAllResponseHeadersToRemove(backend.response().remove()));
        }
        if (split.getClustersCount() == 0) {
            return route.setDirectResponse(DirectResponseAction.newBuilder().setStatus(500));
        }
        WeightedClusters.sendTo(route, action, split);
        return route.setRoute(action);
    }

    /**
     * Service backends ({@code weight} default 1; 0 leaves one out) as cluster → weight, for a TCP proxy; the
     * backends {@link #cluster} refuses are reported and left out.
     */
    Map<String, Integer> weights(List<io.fabric8.kubernetes.api.model.gatewayapi.v1.BackendRef> backends) {
        Map<String, Integer> weights = new java.util.LinkedHashMap<>();
        for (var backend : backends) {
            int weight = backend.getWeight() == null ? 1 : backend.getWeight();
            if (weight > 0) {
                cluster(backend.getKind(), backend.getName(), backend.getNamespace(), backend.getPort())
                        .ifPresent(cluster -> weights.merge(cluster, weight, Integer::sum));
            }
        }
        return weights;
    }

    /** A backend's cluster: only a Service, and one in another namespace only with a ReferenceGrant there. */
    private Optional<String> cluster(String kind, String name, String namespace, Integer port) {
        if (kind != null && !kind.equals("Service")) {
            warn.accept("backendRef kind '" + kind + "' is not supported; only Service");
            return Optional.empty();
        }
        if (!ReferenceGrants.mayReferenceService(snapshot, routeKind, routeNamespace, namespace, name, warn)) {
            return Optional.empty();
        }
        return Optional.of(clusters.reference(host(name, namespace), port, null, listenerPort, warn));
    }

    /** A {@code RequestMirror} filter as a mirror policy, unless its Service may not be referenced. */
    Optional<RouteAction.RequestMirrorPolicy> mirror(HTTPRequestMirrorFilter mirror) {
        if (mirror == null || mirror.getBackendRef() == null) {
            return Optional.empty();
        }
        var ref = mirror.getBackendRef();
        if (!ReferenceGrants.mayReferenceService(
                snapshot, routeKind, routeNamespace, ref.getNamespace(), ref.getName(), warn)) {
            return Optional.empty();
        }
        return Optional.of(RouteAction.RequestMirrorPolicy.newBuilder()
                .setCluster(clusters.reference(
                        host(ref.getName(), ref.getNamespace()), ref.getPort(), null, listenerPort, warn))
                .setRuntimeFraction(Percentages.runtime(
                        mirror.getPercent() == null ? Percentages.all() : Percentages.ofInteger(mirror.getPercent())))
                .build());
    }

    private String host(String name, String refNamespace) {
        return clusters.serviceHostname(
                name, refNamespace == null || refNamespace.isEmpty() ? routeNamespace : refNamespace);
    }

    /** A Gateway API header filter: {@code set} overwrites, {@code add} appends, {@code remove} removes. */
    record HeaderOps(List<HeaderValueOption> add, List<String> remove) {
        static final HeaderOps NONE = new HeaderOps(List.of(), List.of());

        HeaderOps and(HeaderOps more) {
            List<HeaderValueOption> adds = new java.util.ArrayList<>(add);
            adds.addAll(more.add);
            List<String> removes = new java.util.ArrayList<>(remove);
            removes.addAll(more.remove);
            return new HeaderOps(List.copyOf(adds), List.copyOf(removes));
        }

        static HeaderOps of(HTTPHeaderFilter filter) {
            if (filter == null) {
                return new HeaderOps(List.of(), List.of());
            }
            List<HeaderValueOption> add = new java.util.ArrayList<>();
            for (HTTPHeader header : MeshServices.listOrEmpty(filter.getSet())) {
                add.add(HeaderOperations.option(
                        header.getName(),
                        header.getValue(),
                        HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
            }
            for (HTTPHeader header : MeshServices.listOrEmpty(filter.getAdd())) {
                add.add(HeaderOperations.option(
                        header.getName(),
                        header.getValue(),
                        HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
            }
            return new HeaderOps(add, MeshServices.listOrEmpty(filter.getRemove()));
        }

        void toRequest(Route.Builder route) {
            route.addAllRequestHeadersToAdd(add).addAllRequestHeadersToRemove(remove);
        }

        void toResponse(Route.Builder route) {
            route.addAllResponseHeadersToAdd(add).addAllResponseHeadersToRemove(remove);
        }
    }
}
