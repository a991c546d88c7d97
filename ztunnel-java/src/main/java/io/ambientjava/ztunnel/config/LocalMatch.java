package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.ambientjava.ztunnel.state.policy.Cidr;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import java.util.List;

/** One match: string matches like {@code {Exact: x}}, CIDRs like {@code 198.18.0.0/16}, ports as numbers. */
record LocalMatch(
        List<StringMatch> namespaces,
        List<StringMatch> notNamespaces,
        List<LocalServiceAccountMatch> serviceAccounts,
        List<LocalServiceAccountMatch> notServiceAccounts,
        List<StringMatch> principals,
        List<StringMatch> notPrincipals,
        List<Cidr> sourceIps,
        List<Cidr> notSourceIps,
        List<Cidr> destinationIps,
        List<Cidr> notDestinationIps,

        @JsonDeserialize(contentUsing = PortNumberDeserializer.class)
        List<Integer> destinationPorts,

        @JsonDeserialize(contentUsing = PortNumberDeserializer.class)
        List<Integer> notDestinationPorts) {}
