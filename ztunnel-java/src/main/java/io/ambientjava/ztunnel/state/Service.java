package io.ambientjava.ztunnel.state;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A service (a Kubernetes Service or a ServiceEntry host). Its endpoints are not part of it: they are derived from
 * the workloads that list the service in {@link Workload#services()}, see {@link StateSnapshot#endpoints}.
 *
 * @param vips the virtual IPs clients connect to, each within a network
 * @param ports service port to target port (target 0: each endpoint's own mapping decides)
 * @param subjectAltNames identities the endpoints may present, besides their own
 */
public record Service(
        String name,
        String namespace,
        String hostname,
        List<NetworkAddress> vips,
        PortMap ports,
        List<String> subjectAltNames,
        Optional<GatewayAddress> waypoint,
        Optional<LoadBalancing> loadBalancing,
        boolean canonical)
        implements AddressResource {

    public Service {
        Objects.requireNonNull(name, "name");
        vips = List.copyOf(vips);
        Objects.requireNonNull(ports, "ports");
        subjectAltNames = List.copyOf(subjectAltNames);
        Objects.requireNonNull(waypoint, "waypoint");
        Objects.requireNonNull(loadBalancing, "loadBalancing");
        // validates namespace and hostname
        new NamespacedHostname(namespace, hostname);
    }

    public static Builder builder(String namespace, String hostname) {
        return new Builder(namespace, hostname);
    }

    public NamespacedHostname key() {
        return new NamespacedHostname(namespace, hostname);
    }

    /** Whether endpoints that are not healthy still receive traffic. */
    public boolean includesUnhealthyEndpoints() {
        return loadBalancing
                .map(lb -> lb.healthPolicy() == LoadBalancing.HealthPolicy.ALLOW_ALL)
                .orElse(false);
    }

    @Override
    public String resourceName() {
        return key().toString();
    }

    /** Builds a {@link Service}. */
    public static final class Builder {
        private String name = "";
        private final String namespace;
        private final String hostname;
        private List<NetworkAddress> vips = List.of();
        private PortMap ports = PortMap.empty();
        private List<String> subjectAltNames = List.of();
        private Optional<GatewayAddress> waypoint = Optional.empty();
        private Optional<LoadBalancing> loadBalancing = Optional.empty();
        private boolean canonical;

        private Builder(String namespace, String hostname) {
            this.namespace = namespace;
            this.hostname = hostname;
        }

        public Builder name(String value) {
            name = value;
            return this;
        }

        public Builder vips(List<NetworkAddress> value) {
            vips = value;
            return this;
        }

        /** Sets the VIPs from {@code network/ip} texts. */
        public Builder vips(String... networkAddresses) {
            vips = java.util.Arrays.stream(networkAddresses)
                    .map(NetworkAddress::parse)
                    .toList();
            return this;
        }

        public Builder ports(PortMap value) {
            ports = value;
            return this;
        }

        public Builder subjectAltNames(List<String> value) {
            subjectAltNames = value;
            return this;
        }

        public Builder waypoint(GatewayAddress value) {
            waypoint = Optional.ofNullable(value);
            return this;
        }

        public Builder loadBalancing(LoadBalancing value) {
            loadBalancing = Optional.ofNullable(value);
            return this;
        }

        public Builder canonical(boolean value) {
            canonical = value;
            return this;
        }

        public Service build() {
            return new Service(
                    name, namespace, hostname, vips, ports, subjectAltNames, waypoint, loadBalancing, canonical);
        }
    }
}
