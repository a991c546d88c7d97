package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.PortMap;
import java.util.List;

/** A {@code services} entry: {@code vips: ["network/ip"]}, {@code ports: {80: 8080}}. */
record LocalService(
        String name,
        String namespace,
        String hostname,
        List<NetworkAddress> vips,
        PortMap ports,
        List<String> subjectAltNames,
        LocalGatewayAddress waypoint,
        LocalLoadBalancer loadBalancer,
        Boolean canonical) {}
