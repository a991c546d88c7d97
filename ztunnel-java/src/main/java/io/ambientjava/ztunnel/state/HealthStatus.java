package io.ambientjava.ztunnel.state;

/** Whether a workload may receive load-balanced service traffic. */
public enum HealthStatus {
    HEALTHY,
    UNHEALTHY
}
