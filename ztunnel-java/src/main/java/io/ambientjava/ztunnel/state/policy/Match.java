package io.ambientjava.ztunnel.state.policy;

import java.util.List;
import java.util.function.Predicate;

/**
 * One set of L4 conditions. It matches a connection when, for every kind it sets, at least one listed value matches
 * and no value of the matching {@code not} list does. A match that sets nothing matches nothing (as upstream
 * ztunnel: an empty match must not turn into "everything").
 *
 * <p>Identity-based kinds read the peer's identity: principals compare against the SPIFFE ID without
 * {@code spiffe://}, namespaces against the identity's namespace (the empty string for plaintext peers), service
 * accounts against namespace and service account. A plaintext peer matches no principal and no service account.
 */
public record Match(
        List<StringMatch> namespaces,
        List<StringMatch> notNamespaces,
        List<ServiceAccountMatch> serviceAccounts,
        List<ServiceAccountMatch> notServiceAccounts,
        List<StringMatch> principals,
        List<StringMatch> notPrincipals,
        List<Cidr> sourceIps,
        List<Cidr> notSourceIps,
        List<Cidr> destinationIps,
        List<Cidr> notDestinationIps,
        List<Integer> destinationPorts,
        List<Integer> notDestinationPorts) {

    public Match {
        namespaces = List.copyOf(namespaces);
        notNamespaces = List.copyOf(notNamespaces);
        serviceAccounts = List.copyOf(serviceAccounts);
        notServiceAccounts = List.copyOf(notServiceAccounts);
        principals = List.copyOf(principals);
        notPrincipals = List.copyOf(notPrincipals);
        sourceIps = List.copyOf(sourceIps);
        notSourceIps = List.copyOf(notSourceIps);
        destinationIps = List.copyOf(destinationIps);
        notDestinationIps = List.copyOf(notDestinationIps);
        destinationPorts = List.copyOf(destinationPorts);
        notDestinationPorts = List.copyOf(notDestinationPorts);
        for (List<Integer> ports : List.of(destinationPorts, notDestinationPorts)) {
            for (int port : ports) {
                if (port < 0 || port > 65535) {
                    throw new IllegalArgumentException("port " + port + " is not in 0..65535");
                }
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean isEmpty() {
        return namespaces.isEmpty()
                && notNamespaces.isEmpty()
                && serviceAccounts.isEmpty()
                && notServiceAccounts.isEmpty()
                && principals.isEmpty()
                && notPrincipals.isEmpty()
                && sourceIps.isEmpty()
                && notSourceIps.isEmpty()
                && destinationIps.isEmpty()
                && notDestinationIps.isEmpty()
                && destinationPorts.isEmpty()
                && notDestinationPorts.isEmpty();
    }

    public boolean matches(InboundConnection c) {
        if (isEmpty()) {
            return false;
        }
        String namespace = c.sourceIdentity().map(SourceIdentity::namespace).orElse("");
        return holds(destinationIps, notDestinationIps, cidr -> cidr.contains(c.destinationIp()))
                && holds(sourceIps, notSourceIps, cidr -> cidr.contains(c.sourceIp()))
                && holds(destinationPorts, notDestinationPorts, port -> port == c.destinationPort())
                && holds(
                        serviceAccounts,
                        notServiceAccounts,
                        sa -> c.sourceIdentity().map(sa::matches).orElse(false))
                && holds(
                        principals,
                        notPrincipals,
                        p -> c.sourceIdentity()
                                .map(id -> p.matches(id.principal()))
                                .orElse(false))
                && holds(namespaces, notNamespaces, ns -> ns.matches(namespace));
    }

    private static <T> boolean holds(List<T> positive, List<T> negative, Predicate<T> test) {
        return (positive.isEmpty() || positive.stream().anyMatch(test))
                && negative.stream().noneMatch(test);
    }

    /** Builds a {@link Match}; unset kinds stay empty. */
    public static final class Builder {
        private List<StringMatch> namespaces = List.of();
        private List<StringMatch> notNamespaces = List.of();
        private List<ServiceAccountMatch> serviceAccounts = List.of();
        private List<ServiceAccountMatch> notServiceAccounts = List.of();
        private List<StringMatch> principals = List.of();
        private List<StringMatch> notPrincipals = List.of();
        private List<Cidr> sourceIps = List.of();
        private List<Cidr> notSourceIps = List.of();
        private List<Cidr> destinationIps = List.of();
        private List<Cidr> notDestinationIps = List.of();
        private List<Integer> destinationPorts = List.of();
        private List<Integer> notDestinationPorts = List.of();

        private Builder() {}

        public Builder namespaces(StringMatch... values) {
            namespaces = List.of(values);
            return this;
        }

        public Builder notNamespaces(StringMatch... values) {
            notNamespaces = List.of(values);
            return this;
        }

        public Builder serviceAccounts(ServiceAccountMatch... values) {
            serviceAccounts = List.of(values);
            return this;
        }

        public Builder notServiceAccounts(ServiceAccountMatch... values) {
            notServiceAccounts = List.of(values);
            return this;
        }

        public Builder principals(StringMatch... values) {
            principals = List.of(values);
            return this;
        }

        public Builder notPrincipals(StringMatch... values) {
            notPrincipals = List.of(values);
            return this;
        }

        public Builder sourceIps(String... cidrs) {
            sourceIps = java.util.Arrays.stream(cidrs).map(Cidr::parse).toList();
            return this;
        }

        public Builder notSourceIps(String... cidrs) {
            notSourceIps = java.util.Arrays.stream(cidrs).map(Cidr::parse).toList();
            return this;
        }

        public Builder destinationIps(String... cidrs) {
            destinationIps = java.util.Arrays.stream(cidrs).map(Cidr::parse).toList();
            return this;
        }

        public Builder notDestinationIps(String... cidrs) {
            notDestinationIps = java.util.Arrays.stream(cidrs).map(Cidr::parse).toList();
            return this;
        }

        public Builder destinationPorts(Integer... ports) {
            destinationPorts = List.of(ports);
            return this;
        }

        public Builder notDestinationPorts(Integer... ports) {
            notDestinationPorts = List.of(ports);
            return this;
        }

        public Match build() {
            return new Match(
                    namespaces,
                    notNamespaces,
                    serviceAccounts,
                    notServiceAccounts,
                    principals,
                    notPrincipals,
                    sourceIps,
                    notSourceIps,
                    destinationIps,
                    notDestinationIps,
                    destinationPorts,
                    notDestinationPorts);
        }
    }
}
