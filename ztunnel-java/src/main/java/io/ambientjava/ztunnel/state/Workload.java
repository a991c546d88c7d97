package io.ambientjava.ztunnel.state;

import java.net.InetAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One workload (a pod, a VM, a WorkloadEntry) as ztunnel sees it. Immutable; build with {@link #builder}.
 *
 * @param uid globally unique id, e.g. {@code Kubernetes//Pod/default/client-5d8f}
 * @param addresses its IPs; empty for workloads reached only by hostname or through a network gateway
 * @param services the services this workload is an endpoint of, with its port mapping for each
 * @param authorizationPolicies keys ({@code namespace/name}) of WORKLOAD_SELECTOR policies selecting it
 * @param capacity relative weight among a service's endpoints
 */
public record Workload(
        String uid,
        String name,
        String namespace,
        String serviceAccount,
        String trustDomain,
        String node,
        String clusterId,
        String network,
        List<InetAddress> addresses,
        String hostname,
        Protocol protocol,
        NetworkMode networkMode,
        Optional<GatewayAddress> waypoint,
        Optional<GatewayAddress> networkGateway,
        String canonicalName,
        String canonicalRevision,
        String workloadName,
        String workloadType,
        Map<NamespacedHostname, PortMap> services,
        List<String> authorizationPolicies,
        HealthStatus status,
        Locality locality,
        int capacity,
        boolean nativeTunnel,
        Optional<ApplicationTunnel> applicationTunnel)
        implements AddressResource {

    public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";
    public static final String DEFAULT_SERVICE_ACCOUNT = "default";
    public static final String DEFAULT_CLUSTER_ID = "Kubernetes";

    public Workload {
        requireText(uid, "uid");
        requireText(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(serviceAccount, "serviceAccount");
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(network, "network");
        addresses = List.copyOf(addresses);
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(networkMode, "networkMode");
        Objects.requireNonNull(waypoint, "waypoint");
        Objects.requireNonNull(networkGateway, "networkGateway");
        Objects.requireNonNull(canonicalName, "canonicalName");
        Objects.requireNonNull(canonicalRevision, "canonicalRevision");
        Objects.requireNonNull(workloadName, "workloadName");
        Objects.requireNonNull(workloadType, "workloadType");
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        authorizationPolicies = List.copyOf(authorizationPolicies);
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(locality, "locality");
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " is negative");
        }
        Objects.requireNonNull(applicationTunnel, "applicationTunnel");
    }

    private static void requireText(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
    }

    public static Builder builder(String uid, String namespace) {
        return new Builder(uid, namespace);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Its SPIFFE identity: {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}. */
    public String spiffeId() {
        return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }

    /** Its addresses with its network. */
    public List<NetworkAddress> networkAddresses() {
        return addresses.stream().map(ip -> new NetworkAddress(network, ip)).toList();
    }

    @Override
    public String resourceName() {
        return uid;
    }

    @Override
    public String toString() {
        return "Workload{" + uid + " " + namespace + "/" + name + " " + addresses + " " + protocol + "}";
    }

    /** Builds a {@link Workload}; defaults follow Istio's (trust domain cluster.local, service account default). */
    public static final class Builder {
        private String uid;
        private String name = "";
        private String namespace;
        private String serviceAccount = DEFAULT_SERVICE_ACCOUNT;
        private String trustDomain = DEFAULT_TRUST_DOMAIN;
        private String node = "";
        private String clusterId = DEFAULT_CLUSTER_ID;
        private String network = "";
        private List<InetAddress> addresses = List.of();
        private String hostname = "";
        private Protocol protocol = Protocol.TCP;
        private NetworkMode networkMode = NetworkMode.STANDARD;
        private Optional<GatewayAddress> waypoint = Optional.empty();
        private Optional<GatewayAddress> networkGateway = Optional.empty();
        private String canonicalName = "";
        private String canonicalRevision = "";
        private String workloadName = "";
        private String workloadType = "";
        private Map<NamespacedHostname, PortMap> services = Map.of();
        private List<String> authorizationPolicies = List.of();
        private HealthStatus status = HealthStatus.HEALTHY;
        private Locality locality = Locality.unknown();
        private int capacity = 1;
        private boolean nativeTunnel;
        private Optional<ApplicationTunnel> applicationTunnel = Optional.empty();

        private Builder(String uid, String namespace) {
            this.uid = uid;
            this.namespace = namespace;
        }

        private Builder(Workload w) {
            uid = w.uid;
            name = w.name;
            namespace = w.namespace;
            serviceAccount = w.serviceAccount;
            trustDomain = w.trustDomain;
            node = w.node;
            clusterId = w.clusterId;
            network = w.network;
            addresses = w.addresses;
            hostname = w.hostname;
            protocol = w.protocol;
            networkMode = w.networkMode;
            waypoint = w.waypoint;
            networkGateway = w.networkGateway;
            canonicalName = w.canonicalName;
            canonicalRevision = w.canonicalRevision;
            workloadName = w.workloadName;
            workloadType = w.workloadType;
            services = w.services;
            authorizationPolicies = w.authorizationPolicies;
            status = w.status;
            locality = w.locality;
            capacity = w.capacity;
            nativeTunnel = w.nativeTunnel;
            applicationTunnel = w.applicationTunnel;
        }

        public Builder uid(String value) {
            uid = value;
            return this;
        }

        public Builder name(String value) {
            name = value;
            return this;
        }

        public Builder namespace(String value) {
            namespace = value;
            return this;
        }

        public Builder serviceAccount(String value) {
            serviceAccount = value;
            return this;
        }

        public Builder trustDomain(String value) {
            trustDomain = value;
            return this;
        }

        public Builder node(String value) {
            node = value;
            return this;
        }

        public Builder clusterId(String value) {
            clusterId = value;
            return this;
        }

        public Builder network(String value) {
            network = value;
            return this;
        }

        public Builder addresses(List<InetAddress> value) {
            addresses = value;
            return this;
        }

        /** Sets the addresses from IP literals. */
        public Builder addresses(String... literals) {
            addresses = java.util.Arrays.stream(literals).map(IpLiterals::parse).toList();
            return this;
        }

        public Builder hostname(String value) {
            hostname = value;
            return this;
        }

        public Builder protocol(Protocol value) {
            protocol = value;
            return this;
        }

        public Builder networkMode(NetworkMode value) {
            networkMode = value;
            return this;
        }

        public Builder waypoint(GatewayAddress value) {
            waypoint = Optional.ofNullable(value);
            return this;
        }

        public Builder networkGateway(GatewayAddress value) {
            networkGateway = Optional.ofNullable(value);
            return this;
        }

        public Builder canonicalName(String value) {
            canonicalName = value;
            return this;
        }

        public Builder canonicalRevision(String value) {
            canonicalRevision = value;
            return this;
        }

        public Builder workloadName(String value) {
            workloadName = value;
            return this;
        }

        public Builder workloadType(String value) {
            workloadType = value;
            return this;
        }

        public Builder services(Map<NamespacedHostname, PortMap> value) {
            services = value;
            return this;
        }

        /** Adds this workload as an endpoint of a service ({@code namespace/hostname}). */
        public Builder service(String namespacedHostname, PortMap ports) {
            LinkedHashMap<NamespacedHostname, PortMap> copy = new LinkedHashMap<>(services);
            copy.put(NamespacedHostname.parse(namespacedHostname), ports);
            services = copy;
            return this;
        }

        public Builder authorizationPolicies(List<String> value) {
            authorizationPolicies = value;
            return this;
        }

        public Builder status(HealthStatus value) {
            status = value;
            return this;
        }

        public Builder locality(Locality value) {
            locality = value;
            return this;
        }

        public Builder capacity(int value) {
            capacity = value;
            return this;
        }

        public Builder nativeTunnel(boolean value) {
            nativeTunnel = value;
            return this;
        }

        public Builder applicationTunnel(ApplicationTunnel value) {
            applicationTunnel = Optional.ofNullable(value);
            return this;
        }

        public Workload build() {
            return new Workload(
                    uid,
                    name,
                    namespace,
                    serviceAccount,
                    trustDomain,
                    node,
                    clusterId,
                    network,
                    addresses,
                    hostname,
                    protocol,
                    networkMode,
                    waypoint,
                    networkGateway,
                    canonicalName,
                    canonicalRevision,
                    workloadName,
                    workloadType,
                    services,
                    authorizationPolicies,
                    status,
                    locality,
                    capacity,
                    nativeTunnel,
                    applicationTunnel);
        }
    }
}
