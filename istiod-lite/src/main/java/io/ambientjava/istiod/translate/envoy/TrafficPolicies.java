package io.ambientjava.istiod.translate.envoy;

import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.OutlierDetection;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyPortTrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyRetryBudget;

/**
 * The traffic policy in effect for one cluster, as Istio computes it: the rule's top-level policy, overridden by its
 * {@code portLevelSettings} for the port, then by the subset's policy (and the subset's port-level settings). Each of
 * connection pool, load balancer, outlier detection, TLS and retry budget is replaced as a whole, never merged field
 * by field. (A retry budget has no port-level form.)
 */
record TrafficPolicies(
        ConnectionPoolSettings connectionPool,
        LoadBalancerSettings loadBalancer,
        OutlierDetection outlierDetection,
        ClientTLSSettings tls,
        TrafficPolicyRetryBudget retryBudget) {

    static final TrafficPolicies NONE = new TrafficPolicies(null, null, null, null, null);

    static TrafficPolicies effective(TrafficPolicy top, TrafficPolicy subset, int port) {
        return NONE.with(top, port).with(subset, port);
    }

    private TrafficPolicies with(TrafficPolicy policy, int port) {
        if (policy == null) {
            return this;
        }
        TrafficPolicies result = new TrafficPolicies(
                first(policy.getConnectionPool(), connectionPool),
                first(policy.getLoadBalancer(), loadBalancer),
                first(policy.getOutlierDetection(), outlierDetection),
                first(policy.getTls(), tls),
                first(policy.getRetryBudget(), retryBudget));
        for (TrafficPolicyPortTrafficPolicy level : MeshServices.listOrEmpty(policy.getPortLevelSettings())) {
            if (level.getPort() != null
                    && level.getPort().getNumber() != null
                    && level.getPort().getNumber() == port) {
                result = new TrafficPolicies(
                        first(level.getConnectionPool(), result.connectionPool),
                        first(level.getLoadBalancer(), result.loadBalancer),
                        first(level.getOutlierDetection(), result.outlierDetection),
                        first(level.getTls(), result.tls),
                        result.retryBudget);
            }
        }
        return result;
    }

    private static <T> T first(T preferred, T fallback) {
        return preferred != null ? preferred : fallback;
    }
}
