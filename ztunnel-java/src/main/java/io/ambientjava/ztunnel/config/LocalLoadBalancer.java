package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.LoadBalancing;
import java.util.List;

/** {@code {routingPreferences: [Region, Zone, …], mode: Standard|Strict|Failover|Passthrough, healthPolicy}}. */
record LocalLoadBalancer(
        List<LoadBalancing.Scope> routingPreferences,
        LoadBalancing.Mode mode,
        LoadBalancing.HealthPolicy healthPolicy) {}
