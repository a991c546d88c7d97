package io.ambientjava.istiod.translate.envoy;

import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyPortTrafficPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The DestinationRule traffic-policy fields a waypoint or gateway does not apply, reported so none is dropped
 * silently. ({@code tls} is applied: {@link UpstreamTlsSettings} reports its own unsupported parts.)
 */
final class UnappliedPolicyFields {

    private UnappliedPolicyFields() {}

    static void report(TrafficPolicy policy, String path, Consumer<String> warn) {
        if (policy == null) {
            return;
        }
        List<String> fields = new ArrayList<>();
        collect(policy.getLoadBalancer(), path, fields);
        if (policy.getProxyProtocol() != null) {
            fields.add(path + ".proxyProtocol");
        }
        if (policy.getTunnel() != null) {
            fields.add(path + ".tunnel");
        }
        List<TrafficPolicyPortTrafficPolicy> levels = MeshServices.listOrEmpty(policy.getPortLevelSettings());
        for (int i = 0; i < levels.size(); i++) {
            var level = levels.get(i);
            String at = path + ".portLevelSettings[" + i + "]";
            collect(level.getLoadBalancer(), at, fields);
        }
        if (!fields.isEmpty()) {
            warn.accept(String.join(", ", fields) + " not applied by waypoints and gateways yet");
        }
    }

    private static void collect(
            io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings lb, String path, List<String> fields) {
        if (lb != null && lb.getLocalityLbSetting() != null) {
            fields.add(path + ".loadBalancer.localityLbSetting");
        }
    }
}
