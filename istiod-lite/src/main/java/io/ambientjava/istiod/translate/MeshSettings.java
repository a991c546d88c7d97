package io.ambientjava.istiod.translate;

import io.ambientjava.istiod.config.IpPrefix;
import java.util.Objects;
import java.util.Optional;

/**
 * Mesh-wide settings the translation needs.
 *
 * @param trustDomain the SPIFFE trust domain ({@code cluster.local} by default)
 * @param rootNamespace where mesh-wide policies live ({@code istio-system})
 * @param clusterId the cluster name in workload UIDs ({@code Kubernetes}, istiod's default)
 * @param domainSuffix the DNS suffix of service hostnames ({@code cluster.local})
 * @param network the network of every address (empty: the default network)
 * @param autoAllocateRange where ServiceEntry hosts without addresses get one from ({@link ServiceEntryAddresses});
 *     empty: they get none
 */
public record MeshSettings(
        String trustDomain,
        String rootNamespace,
        String clusterId,
        String domainSuffix,
        String network,
        Optional<IpPrefix> autoAllocateRange) {

    public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";

    /** Istio's IPv4 range for ServiceEntry addresses: reserved (class E), never routed beyond a pod. */
    public static final IpPrefix ISTIO_AUTO_ALLOCATE_RANGE =
            IpPrefix.parse("240.240.0.0/16").orElseThrow();

    public MeshSettings {
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(rootNamespace, "rootNamespace");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(domainSuffix, "domainSuffix");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(autoAllocateRange, "autoAllocateRange");
    }

    /** With Istio's auto-allocation range. */
    public MeshSettings(
            String trustDomain, String rootNamespace, String clusterId, String domainSuffix, String network) {
        this(trustDomain, rootNamespace, clusterId, domainSuffix, network, Optional.of(ISTIO_AUTO_ALLOCATE_RANGE));
    }

    public static MeshSettings defaults() {
        return new MeshSettings(DEFAULT_TRUST_DOMAIN, "istio-system", "Kubernetes", "cluster.local", "");
    }

    public MeshSettings withTrustDomain(String trustDomain) {
        return new MeshSettings(trustDomain, rootNamespace, clusterId, domainSuffix, network, autoAllocateRange);
    }

    public MeshSettings withAutoAllocateRange(Optional<IpPrefix> range) {
        return new MeshSettings(trustDomain, rootNamespace, clusterId, domainSuffix, network, range);
    }

    /** Istio leaves the trust domain out of workloads when it is the default, and ztunnel fills it back in. */
    String workloadTrustDomain() {
        return trustDomain.equals(DEFAULT_TRUST_DOMAIN) ? "" : trustDomain;
    }

    public String serviceHostname(String name, String namespace) {
        return name + "." + namespace + ".svc." + domainSuffix;
    }
}
