package io.ambientjava.istiod.translate;

import java.util.Objects;

/**
 * Mesh-wide settings the translation needs.
 *
 * @param trustDomain the SPIFFE trust domain ({@code cluster.local} by default)
 * @param rootNamespace where mesh-wide policies live ({@code istio-system})
 * @param clusterId the cluster name in workload UIDs ({@code Kubernetes}, istiod's default)
 * @param domainSuffix the DNS suffix of service hostnames ({@code cluster.local})
 * @param network the network of every address (empty: the default network)
 */
public record MeshSettings(
        String trustDomain, String rootNamespace, String clusterId, String domainSuffix, String network) {

    public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";

    public MeshSettings {
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(rootNamespace, "rootNamespace");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(domainSuffix, "domainSuffix");
        Objects.requireNonNull(network, "network");
    }

    public static MeshSettings defaults() {
        return new MeshSettings(DEFAULT_TRUST_DOMAIN, "istio-system", "Kubernetes", "cluster.local", "");
    }

    public MeshSettings withTrustDomain(String trustDomain) {
        return new MeshSettings(trustDomain, rootNamespace, clusterId, domainSuffix, network);
    }

    /** Istio leaves the trust domain out of workloads when it is the default, and ztunnel fills it back in. */
    String workloadTrustDomain() {
        return trustDomain.equals(DEFAULT_TRUST_DOMAIN) ? "" : trustDomain;
    }

    public String serviceHostname(String name, String namespace) {
        return name + "." + namespace + ".svc." + domainSuffix;
    }
}
