package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;

/** A route's destinations, for VirtualService and Gateway API routes alike. */
final class WeightedClusters {

    private WeightedClusters() {}

    /**
     * {@code split} (at least one cluster) on {@code action}: several as {@code weighted_clusters}; one as the
     * action's {@code cluster}, its header operations then moved onto the route, where they apply after the route's
     * own, as they would on a weighted cluster.
     */
    static void sendTo(Route.Builder route, RouteAction.Builder action, WeightedCluster.Builder split) {
        if (split.getClustersCount() > 1) {
            action.setWeightedClusters(split);
            return;
        }
        WeightedCluster.ClusterWeight only = split.getClusters(0);
        action.setCluster(only.getName());
        route.addAllRequestHeadersToAdd(only.getRequestHeadersToAddList())
                .addAllRequestHeadersToRemove(only.getRequestHeadersToRemoveList())
                .addAllResponseHeadersToAdd(only.getResponseHeadersToAddList())
                .addAllResponseHeadersToRemove(only.getResponseHeadersToRemoveList());
    }
}
