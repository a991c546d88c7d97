package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.NetworkMode;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;

/** A {@code workloads} entry, upstream's Workload fields plus {@code services: {"ns/host": {port: target}}}. */
record LocalWorkload(
        String uid,
        String name,
        String namespace,
        String serviceAccount,
        String trustDomain,
        List<InetAddress> workloadIps,
        Protocol protocol,
        NetworkMode networkMode,
        String node,
        String network,
        String clusterId,
        String hostname,
        LocalGatewayAddress waypoint,
        LocalGatewayAddress networkGateway,
        String canonicalName,
        String canonicalRevision,
        String workloadName,
        String workloadType,
        Map<NamespacedHostname, PortMap> services,
        List<String> authorizationPolicies,
        HealthStatus status,
        LocalLocality locality,
        Integer capacity,
        Boolean nativeTunnel,
        LocalApplicationTunnel applicationTunnel) {}
