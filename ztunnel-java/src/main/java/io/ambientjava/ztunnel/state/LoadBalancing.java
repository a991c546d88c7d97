package io.ambientjava.ztunnel.state;

import java.util.List;
import java.util.Objects;

/** A service's load-balancing preferences (Istio's {@code LoadBalancing} message). */
public record LoadBalancing(List<Scope> routingPreference, Mode mode, HealthPolicy healthPolicy) {

    /** A locality property endpoints are ranked by, most significant first. */
    public enum Scope {
        REGION,
        ZONE,
        SUBZONE,
        NODE,
        CLUSTER,
        NETWORK
    }

    public enum Mode {
        /** Ignore the routing preference. */
        STANDARD,
        /** Only endpoints matching every scope. */
        STRICT,
        /** Prefer the best-matching endpoints, fall back to others. */
        FAILOVER,
        /** Do not pick an endpoint: connect to the original destination. */
        PASSTHROUGH
    }

    public enum HealthPolicy {
        ONLY_HEALTHY,
        ALLOW_ALL
    }

    public LoadBalancing {
        routingPreference = List.copyOf(routingPreference);
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(healthPolicy, "healthPolicy");
    }
}
