package io.ambientjava.istiod.config.yaml;

import static io.ambientjava.istiod.config.yaml.FieldIssue.child;
import static io.ambientjava.istiod.config.yaml.FieldIssue.index;

import io.ambientjava.istiod.config.IstioDurations;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.VirtualService;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Istio's validation rules for VirtualService and DestinationRule, the parts the Envoy translation relies on:
 * destinations name a host, weights are not negative and (with several destinations) not all zero — they are
 * relative, as Istio reads them since 1.15, so they need not sum to 100 —, an entry routes or redirects or
 * answers directly (one of them), durations parse, percentages lie in 0..100, subsets have distinct names.
 */
final class NetworkingRules {

    private NetworkingRules() {}

    static void checkVirtualService(VirtualService resource, List<FieldIssue> issues) {
        var spec = resource.getSpec();
        if (spec == null) {
            return;
        }
        List<HTTPRoute> http = spec.getHttp() == null ? List.of() : spec.getHttp();
        boolean delegate = spec.getHosts() == null || spec.getHosts().isEmpty();
        if (delegate) {
            checkDelegate(spec, issues);
        }
        for (int i = 0; i < http.size(); i++) {
            String path = index("spec.http", i);
            checkHttpRoute(http.get(i), path, issues);
            checkDelegation(http.get(i), path, delegate, issues);
        }
    }

    /** A VirtualService without hosts is a delegate (Istio's rules): it binds nowhere and carries http routes only. */
    private static void checkDelegate(
            io.fabric8.istio.api.api.networking.v1alpha3.VirtualService spec, List<FieldIssue> issues) {
        if (spec.getGateways() != null && !spec.getGateways().isEmpty()) {
            issues.add(FieldIssue.error(
                    "spec.gateways",
                    "a VirtualService without hosts is a delegate and binds to no gateway; give hosts or drop"
                            + " gateways"));
        }
        if (spec.getTcp() != null && !spec.getTcp().isEmpty()) {
            issues.add(FieldIssue.error("spec.tcp", "a delegate VirtualService (no hosts) carries http routes only"));
        }
        if (spec.getTls() != null && !spec.getTls().isEmpty()) {
            issues.add(FieldIssue.error("spec.tls", "a delegate VirtualService (no hosts) carries http routes only"));
        }
    }

    private static void checkDelegation(HTTPRoute route, String path, boolean inDelegate, List<FieldIssue> issues) {
        if (route.getDelegate() == null) {
            return;
        }
        if (inDelegate) {
            issues.add(FieldIssue.error(
                    child(path, "delegate"), "a delegate VirtualService (no hosts) cannot delegate again"));
        }
        if (route.getDelegate().getName() == null
                || route.getDelegate().getName().isEmpty()) {
            issues.add(FieldIssue.error(child(path, "delegate.name"), "required"));
        }
        if ((route.getRoute() != null && !route.getRoute().isEmpty())
                || route.getRedirect() != null
                || route.getDirectResponse() != null) {
            issues.add(FieldIssue.error(
                    child(path, "delegate"), "delegate excludes route, redirect and directResponse; set one"));
        }
    }

    private static void checkHttpRoute(HTTPRoute route, String path, List<FieldIssue> issues) {
        List<HTTPRouteDestination> destinations = route.getRoute() == null ? List.of() : route.getRoute();
        int actions = (destinations.isEmpty() ? 0 : 1)
                + (route.getRedirect() == null ? 0 : 1)
                + (route.getDirectResponse() == null ? 0 : 1);
        if (actions > 1) {
            issues.add(FieldIssue.error(path, "route, redirect and directResponse are exclusive; set one"));
        }
        long total = 0;
        for (int j = 0; j < destinations.size(); j++) {
            HTTPRouteDestination destination = destinations.get(j);
            String at = index(child(path, "route"), j);
            if (destination.getDestination() == null
                    || destination.getDestination().getHost() == null
                    || destination.getDestination().getHost().isEmpty()) {
                issues.add(FieldIssue.error(child(at, "destination.host"), "required"));
            }
            Integer weight = destination.getWeight();
            if (weight != null && weight < 0) {
                issues.add(FieldIssue.error(child(at, "weight"), "must not be negative (got " + weight + ")"));
            } else if (weight != null) {
                total += weight;
            }
        }
        if (destinations.size() > 1 && total == 0) {
            issues.add(FieldIssue.error(
                    child(path, "route"), "with several destinations at least one needs a weight above 0"));
        }
        duration(route.getTimeout(), child(path, "timeout"), issues);
        if (route.getCorsPolicy() != null) {
            duration(route.getCorsPolicy().getMaxAge(), child(path, "corsPolicy.maxAge"), issues);
        }
        if (route.getRetries() != null) {
            if (route.getRetries().getAttempts() != null && route.getRetries().getAttempts() < 0) {
                issues.add(FieldIssue.error(child(path, "retries.attempts"), "must not be negative"));
            }
            duration(route.getRetries().getPerTryTimeout(), child(path, "retries.perTryTimeout"), issues);
        }
        var fault = route.getFault();
        if (fault != null && fault.getDelay() != null) {
            if (fault.getDelay().getHttpDelayType() instanceof HTTPFaultInjectionDelayFixedDelay fixed) {
                duration(fixed.getFixedDelay(), child(path, "fault.delay.fixedDelay"), issues);
            }
            percent(fault.getDelay().getPercentage(), child(path, "fault.delay.percentage.value"), issues);
        }
        if (fault != null && fault.getAbort() != null) {
            if (fault.getAbort().getErrorType() instanceof HTTPFaultInjectionAbortHttpStatus status
                    && status.getHttpStatus() != null
                    && (status.getHttpStatus() < 200 || status.getHttpStatus() > 599)) {
                issues.add(FieldIssue.error(
                        child(path, "fault.abort.httpStatus"),
                        "must be an HTTP status 200..599 (got " + status.getHttpStatus() + ")"));
            }
            percent(fault.getAbort().getPercentage(), child(path, "fault.abort.percentage.value"), issues);
        }
        percent(route.getMirrorPercentage(), child(path, "mirrorPercentage.value"), issues);
        if (route.getMirrorPercent() != null && (route.getMirrorPercent() < 0 || route.getMirrorPercent() > 100)) {
            issues.add(FieldIssue.error(child(path, "mirrorPercent"), "must be 0..100"));
        }
    }

    static void checkDestinationRule(DestinationRule resource, List<FieldIssue> issues) {
        var spec = resource.getSpec();
        if (spec == null) {
            return;
        }
        if (spec.getHost() == null || spec.getHost().isEmpty()) {
            issues.add(FieldIssue.error("spec.host", "required"));
        }
        checkTrafficPolicy(spec.getTrafficPolicy(), "spec.trafficPolicy", issues);
        Set<String> names = new HashSet<>();
        List<Subset> subsets = spec.getSubsets() == null ? List.of() : spec.getSubsets();
        for (int i = 0; i < subsets.size(); i++) {
            Subset subset = subsets.get(i);
            String at = index("spec.subsets", i);
            if (subset.getName() == null || subset.getName().isEmpty()) {
                issues.add(FieldIssue.error(child(at, "name"), "required"));
            } else if (!names.add(subset.getName())) {
                issues.add(FieldIssue.error(child(at, "name"), "subset '" + subset.getName() + "' is defined twice"));
            }
            checkTrafficPolicy(subset.getTrafficPolicy(), child(at, "trafficPolicy"), issues);
        }
    }

    private static void checkTrafficPolicy(TrafficPolicy policy, String path, List<FieldIssue> issues) {
        if (policy == null) {
            return;
        }
        ConnectionPoolSettings pool = policy.getConnectionPool();
        if (pool != null && pool.getTcp() != null) {
            duration(pool.getTcp().getConnectTimeout(), child(path, "connectionPool.tcp.connectTimeout"), issues);
            duration(
                    pool.getTcp().getMaxConnectionDuration(),
                    child(path, "connectionPool.tcp.maxConnectionDuration"),
                    issues);
            duration(pool.getTcp().getIdleTimeout(), child(path, "connectionPool.tcp.idleTimeout"), issues);
            var keepalive = pool.getTcp().getTcpKeepalive();
            if (keepalive != null) {
                duration(keepalive.getTime(), child(path, "connectionPool.tcp.tcpKeepalive.time"), issues);
                duration(keepalive.getInterval(), child(path, "connectionPool.tcp.tcpKeepalive.interval"), issues);
                if (keepalive.getProbes() != null
                        && (keepalive.getProbes() < 0 || keepalive.getProbes() > 0xFFFF_FFFFL)) {
                    issues.add(FieldIssue.error(
                            child(path, "connectionPool.tcp.tcpKeepalive.probes"),
                            "must be an unsigned 32-bit number"));
                }
            }
        }
        if (pool != null && pool.getHttp() != null) {
            duration(pool.getHttp().getIdleTimeout(), child(path, "connectionPool.http.idleTimeout"), issues);
            Integer streams = pool.getHttp().getMaxConcurrentStreams();
            if (streams != null && streams < 0) {
                issues.add(FieldIssue.error(
                        child(path, "connectionPool.http.maxConcurrentStreams"), "must not be negative"));
            }
        }
        var lb = policy.getLoadBalancer();
        if (lb != null) {
            duration(lb.getWarmupDurationSecs(), child(path, "loadBalancer.warmupDurationSecs"), issues);
            var warmup = lb.getWarmup();
            if (warmup != null) {
                if (warmup.getDuration() == null) {
                    issues.add(FieldIssue.error(child(path, "loadBalancer.warmup.duration"), "required"));
                } else {
                    duration(warmup.getDuration(), child(path, "loadBalancer.warmup.duration"), issues);
                }
                if (warmup.getAggression() != null && !(warmup.getAggression() >= 1)) {
                    issues.add(FieldIssue.error(child(path, "loadBalancer.warmup.aggression"), "must be at least 1"));
                }
                Double minimum = warmup.getMinimumPercent();
                if (minimum != null && !(minimum >= 0 && minimum <= 100)) {
                    issues.add(FieldIssue.error(child(path, "loadBalancer.warmup.minimumPercent"), "must be 0..100"));
                }
            }
        }
        var budget = policy.getRetryBudget();
        if (budget != null) {
            Double percent = budget.getPercent();
            if (percent != null && !(percent >= 0 && percent <= 100)) {
                issues.add(FieldIssue.error(child(path, "retryBudget.percent"), "must be 0..100"));
            }
            Long min = budget.getMinRetryConcurrency();
            if (min != null && (min < 0 || min > 0xFFFF_FFFFL)) {
                issues.add(FieldIssue.error(
                        child(path, "retryBudget.minRetryConcurrency"), "must be an unsigned 32-bit number"));
            }
        }
        var outlier = policy.getOutlierDetection();
        if (outlier != null) {
            duration(outlier.getInterval(), child(path, "outlierDetection.interval"), issues);
            duration(outlier.getBaseEjectionTime(), child(path, "outlierDetection.baseEjectionTime"), issues);
            if (outlier.getMaxEjectionPercent() != null
                    && (outlier.getMaxEjectionPercent() < 0 || outlier.getMaxEjectionPercent() > 100)) {
                issues.add(FieldIssue.error(child(path, "outlierDetection.maxEjectionPercent"), "must be 0..100"));
            }
        }
    }

    private static void duration(String text, String path, List<FieldIssue> issues) {
        try {
            IstioDurations.parse(text);
        } catch (IllegalArgumentException e) {
            issues.add(FieldIssue.error(path, e.getMessage()));
        }
    }

    private static void percent(Percent percent, String path, List<FieldIssue> issues) {
        if (percent != null && percent.getValue() != null && (percent.getValue() < 0 || percent.getValue() > 100)) {
            issues.add(FieldIssue.error(path, "must be 0..100 (got " + percent.getValue() + ")"));
        }
    }
}
