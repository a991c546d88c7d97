package io.ambientjava.ztunnel.state.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.UInt32Value;
import io.ambientjava.api.security.Group;
import io.ambientjava.api.security.Rules;
import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.GatewayAddress;
import io.ambientjava.api.workload.LoadBalancing;
import io.ambientjava.api.workload.NetworkAddress;
import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.PortList;
import io.ambientjava.api.workload.TunnelProtocol;
import io.ambientjava.api.workload.WorkloadStatus;
import io.ambientjava.ztunnel.state.AddressResource;
import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.InvalidResourceException;
import io.ambientjava.ztunnel.state.IpLiterals;
import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.policy.Authorization;
import io.ambientjava.ztunnel.state.policy.Cidr;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtoMappersTest {

    private static ByteString ip(String literal) {
        return ByteString.copyFrom(IpLiterals.parse(literal).getAddress());
    }

    private static io.ambientjava.api.workload.Workload.Builder workload() {
        return io.ambientjava.api.workload.Workload.newBuilder()
                .setUid("Kubernetes//Pod/default/echo-0")
                .setName("echo-0")
                .setNamespace("default")
                .addAddresses(ip("198.18.0.20"));
    }

    private static io.ambientjava.api.workload.Service.Builder service() {
        return io.ambientjava.api.workload.Service.newBuilder()
                .setName("echo")
                .setNamespace("default")
                .setHostname("echo.default.svc.cluster.local")
                .addAddresses(NetworkAddress.newBuilder().setAddress(ip("198.19.0.10")))
                .addPorts(Port.newBuilder().setServicePort(80).setTargetPort(8080));
    }

    private static io.ambientjava.api.security.Authorization.Builder policy(io.ambientjava.api.security.Match match) {
        return io.ambientjava.api.security.Authorization.newBuilder()
                .setName("allow-client")
                .setNamespace("default")
                .setScope(io.ambientjava.api.security.Scope.NAMESPACE)
                .setAction(io.ambientjava.api.security.Action.ALLOW)
                .addGroups(Group.newBuilder().addRules(Rules.newBuilder().addMatches(match)));
    }

    @Test
    void mapsAFullWorkload() {
        Workload w = WorkloadMapper.toDomain(workload()
                .addAddresses(ip("fd00::20"))
                .setServiceAccount("echo")
                .setTunnelProtocol(TunnelProtocol.HBONE)
                .setNode("node-a")
                .setNetwork("east")
                .setCanonicalName("echo")
                .setCanonicalRevision("v1")
                .setWorkloadType(io.ambientjava.api.workload.WorkloadType.POD)
                .putServices(
                        "default/echo.default.svc.cluster.local",
                        PortList.newBuilder()
                                .addPorts(Port.newBuilder().setServicePort(80).setTargetPort(8080))
                                .build())
                .addAuthorizationPolicies("istio-system/istio_converted_static_strict")
                .setWaypoint(GatewayAddress.newBuilder()
                        .setHostname(io.ambientjava.api.workload.NamespacedHostname.newBuilder()
                                .setNamespace("default")
                                .setHostname("waypoint.default.svc.cluster.local"))
                        .setHboneMtlsPort(15008))
                .setStatus(WorkloadStatus.UNHEALTHY)
                .setCapacity(UInt32Value.of(3))
                .build());

        assertThat(w.uid()).isEqualTo("Kubernetes//Pod/default/echo-0");
        assertThat(w.addresses())
                .extracting(a -> a.getHostAddress())
                .containsExactly("198.18.0.20", "fd00:0:0:0:0:0:0:20");
        assertThat(w.protocol()).isEqualTo(Protocol.HBONE);
        assertThat(w.network()).isEqualTo("east");
        assertThat(w.trustDomain()).isEqualTo("cluster.local");
        assertThat(w.clusterId()).isEqualTo("Kubernetes");
        assertThat(w.spiffeId()).isEqualTo("spiffe://cluster.local/ns/default/sa/echo");
        assertThat(w.workloadType()).isEqualTo("pod");
        assertThat(w.services())
                .containsEntry(
                        NamespacedHostname.parse("default/echo.default.svc.cluster.local"), PortMap.of(80, 8080));
        assertThat(w.authorizationPolicies()).containsExactly("istio-system/istio_converted_static_strict");
        assertThat(w.waypoint()).hasValueSatisfying(g -> {
            assertThat(g.destination()).hasToString("default/waypoint.default.svc.cluster.local");
            assertThat(g.hboneMtlsPort()).isEqualTo(15008);
        });
        assertThat(w.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(w.capacity()).isEqualTo(3);
    }

    @Test
    void workloadDefaults() {
        Workload w = WorkloadMapper.toDomain(workload().build());
        assertThat(w.serviceAccount()).isEqualTo("default");
        assertThat(w.protocol()).isEqualTo(Protocol.TCP);
        assertThat(w.capacity()).isEqualTo(1);
        assertThat(w.workloadType()).isEqualTo("deployment");
        assertThat(w.waypoint()).isEmpty();
    }

    @Test
    void workloadValidationErrorsNameResourceAndField() {
        assertInvalid(
                () -> WorkloadMapper.toDomain(workload().setUid("").build()),
                "workload \"echo-0\"",
                "uid",
                "is required");
        assertInvalid(
                () -> WorkloadMapper.toDomain(workload()
                        .addAddresses(ByteString.copyFrom(new byte[5]))
                        .build()),
                "workload \"Kubernetes//Pod/default/echo-0\"",
                "addresses[1]",
                "5 bytes is not an IP address (expected 4 for IPv4 or 16 for IPv6)");
        assertInvalid(
                () -> WorkloadMapper.toDomain(
                        workload().setTunnelProtocolValue(7).build()),
                "workload \"Kubernetes//Pod/default/echo-0\"",
                "tunnel_protocol",
                "unknown value 7");
        assertInvalid(
                () -> WorkloadMapper.toDomain(workload()
                        .setTunnelProtocol(TunnelProtocol.LEGACY_ISTIO_MTLS)
                        .build()),
                "workload \"Kubernetes//Pod/default/echo-0\"",
                "tunnel_protocol",
                "LEGACY_ISTIO_MTLS is not supported");
        assertInvalid(
                () -> WorkloadMapper.toDomain(workload()
                        .putServices("echo", PortList.getDefaultInstance())
                        .build()),
                "workload \"Kubernetes//Pod/default/echo-0\"",
                "services[\"echo\"]",
                "'echo' is not namespace/hostname");
        assertInvalid(
                () -> WorkloadMapper.toDomain(workload()
                        .putServices(
                                "default/echo",
                                PortList.newBuilder()
                                        .addPorts(Port.newBuilder()
                                                .setServicePort(80)
                                                .setTargetPort(70000))
                                        .build())
                        .build()),
                "workload \"Kubernetes//Pod/default/echo-0\"",
                "services[\"default/echo\"].ports[0].target_port",
                "70000 is not a port (0..65535)");
        assertInvalid(
                () -> WorkloadMapper.toDomain(workload()
                        .setWaypoint(GatewayAddress.newBuilder().setHboneMtlsPort(15008))
                        .build()),
                "workload \"Kubernetes//Pod/default/echo-0\"",
                "waypoint",
                "neither hostname nor address is set");
        assertInvalid(
                () -> WorkloadMapper.toDomain(workload()
                        .setNetworkGateway(GatewayAddress.newBuilder()
                                .setAddress(NetworkAddress.newBuilder().setAddress(ByteString.copyFromUtf8("x"))))
                        .build()),
                "workload \"Kubernetes//Pod/default/echo-0\"",
                "network_gateway.address.address",
                "1 bytes is not an IP address (expected 4 for IPv4 or 16 for IPv6)");
    }

    @Test
    void mapsAService() {
        Service s = ServiceMapper.toDomain(service()
                .addSubjectAltNames("spiffe://cluster.local/ns/default/sa/echo")
                .setLoadBalancing(LoadBalancing.newBuilder()
                        .setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL)
                        .addRoutingPreference(LoadBalancing.Scope.ZONE))
                .build());
        assertThat(s.key()).isEqualTo(NamespacedHostname.parse("default/echo.default.svc.cluster.local"));
        assertThat(s.vips()).extracting(Object::toString).containsExactly("/198.19.0.10");
        assertThat(s.ports()).isEqualTo(PortMap.of(80, 8080));
        assertThat(s.subjectAltNames()).containsExactly("spiffe://cluster.local/ns/default/sa/echo");
        assertThat(s.includesUnhealthyEndpoints()).isTrue();
        assertThat(s.loadBalancing().orElseThrow().mode())
                .isEqualTo(io.ambientjava.ztunnel.state.LoadBalancing.Mode.STANDARD);
    }

    @Test
    void serviceValidationErrors() {
        assertInvalid(
                () -> ServiceMapper.toDomain(service().setHostname("").build()),
                "service \"default/\"",
                "hostname",
                "is required");
        assertInvalid(
                () -> ServiceMapper.toDomain(
                        service().addPorts(Port.newBuilder().setServicePort(80)).build()),
                "service \"default/echo.default.svc.cluster.local\"",
                "ports[1].service_port",
                "port 80 is listed twice");
        assertInvalid(
                () -> ServiceMapper.toDomain(
                        service().addPorts(Port.newBuilder().setServicePort(0)).build()),
                "service \"default/echo.default.svc.cluster.local\"",
                "ports[1].service_port",
                "0 is not a port (1..65535)");
        assertInvalid(
                () -> ServiceMapper.toDomain(service()
                        .setLoadBalancing(
                                LoadBalancing.newBuilder().addRoutingPreference(LoadBalancing.Scope.UNSPECIFIED_SCOPE))
                        .build()),
                "service \"default/echo.default.svc.cluster.local\"",
                "load_balancing.routing_preference[0]",
                "UNSPECIFIED_SCOPE is not a scope");
    }

    @Test
    void mapsAnAuthorizationWithEveryMatchKind() {
        io.ambientjava.api.security.Match match = io.ambientjava.api.security.Match.newBuilder()
                .addNamespaces(
                        io.ambientjava.api.security.StringMatch.newBuilder().setExact("default"))
                .addNotNamespaces(
                        io.ambientjava.api.security.StringMatch.newBuilder().setPrefix("kube-"))
                .addPrincipals(
                        io.ambientjava.api.security.StringMatch.newBuilder().setSuffix("/sa/client"))
                .addNotPrincipals(
                        io.ambientjava.api.security.StringMatch.newBuilder().setPresence(Empty.getDefaultInstance()))
                .addServiceAccounts(io.ambientjava.api.security.ServiceAccountMatch.newBuilder()
                        .setNamespace("default")
                        .setServiceAccount("client"))
                .addSourceIps(io.ambientjava.api.security.Address.newBuilder()
                        .setAddress(ip("198.18.0.0"))
                        .setLength(16))
                .addNotDestinationIps(io.ambientjava.api.security.Address.newBuilder()
                        .setAddress(ip("198.19.0.1"))
                        .setLength(32))
                .addDestinationPorts(8080)
                .addNotDestinationPorts(9999)
                .build();
        Authorization a =
                AuthorizationMapper.toDomain(policy(match).setDryRun(true).build());

        assertThat(a.key()).isEqualTo("default/allow-client");
        assertThat(a.scope()).isEqualTo(Authorization.Scope.NAMESPACE);
        assertThat(a.action()).isEqualTo(Authorization.Action.ALLOW);
        assertThat(a.dryRun()).isTrue();
        var m = a.rules().getFirst().clauses().getFirst().matches().getFirst();
        assertThat(m.namespaces()).containsExactly(StringMatch.exact("default"));
        assertThat(m.notNamespaces()).containsExactly(StringMatch.prefix("kube-"));
        assertThat(m.principals()).containsExactly(StringMatch.suffix("/sa/client"));
        assertThat(m.notPrincipals()).containsExactly(StringMatch.presence());
        assertThat(m.serviceAccounts())
                .singleElement()
                .satisfies(sa -> assertThat(sa.serviceAccount()).isEqualTo("client"));
        assertThat(m.sourceIps()).containsExactly(Cidr.parse("198.18.0.0/16"));
        assertThat(m.notDestinationIps()).containsExactly(Cidr.parse("198.19.0.1/32"));
        assertThat(m.destinationPorts()).containsExactly(8080);
        assertThat(m.notDestinationPorts()).containsExactly(9999);
    }

    @Test
    void authorizationValidationErrors() {
        var empty = io.ambientjava.api.security.Match.getDefaultInstance();
        assertInvalid(
                () -> AuthorizationMapper.toDomain(
                        policy(empty).setScopeValue(9).build()),
                "authorization \"default/allow-client\"",
                "scope",
                "unknown value 9");
        assertInvalid(
                () -> AuthorizationMapper.toDomain(policy(empty).setName("").build()),
                "authorization \"default/\"",
                "name",
                "is required");
        assertInvalid(
                () -> AuthorizationMapper.toDomain(policy(io.ambientjava.api.security.Match.newBuilder()
                                .addSourceIps(io.ambientjava.api.security.Address.newBuilder()
                                        .setAddress(ip("198.18.0.0"))
                                        .setLength(33))
                                .build())
                        .build()),
                "authorization \"default/allow-client\"",
                "groups[0].rules[0].matches[0].source_ips[0].length",
                "prefix length 33 is not in 0..32 for 198.18.0.0");
        assertInvalid(
                () -> AuthorizationMapper.toDomain(policy(io.ambientjava.api.security.Match.newBuilder()
                                .addPrincipals(io.ambientjava.api.security.StringMatch.getDefaultInstance())
                                .build())
                        .build()),
                "authorization \"default/allow-client\"",
                "groups[0].rules[0].matches[0].principals[0]",
                "none of exact, prefix, suffix, presence is set");
        assertInvalid(
                () -> AuthorizationMapper.toDomain(policy(io.ambientjava.api.security.Match.newBuilder()
                                .addDestinationPorts(65536)
                                .build())
                        .build()),
                "authorization \"default/allow-client\"",
                "groups[0].rules[0].matches[0].destination_ports[0]",
                "65536 is not a port (0..65535)");
    }

    @Test
    void addressDispatchesOnItsType() {
        AddressResource w = AddressMapper.toDomain(
                "Kubernetes//Pod/default/echo-0",
                Address.newBuilder().setWorkload(workload()).build());
        assertThat(w).isInstanceOf(Workload.class);
        assertThat(w.resourceName()).isEqualTo("Kubernetes//Pod/default/echo-0");
        AddressResource s = AddressMapper.toDomain(
                "default/echo.default.svc.cluster.local",
                Address.newBuilder().setService(service()).build());
        assertThat(s).isInstanceOf(Service.class);
        assertThat(s.resourceName()).isEqualTo("default/echo.default.svc.cluster.local");
        assertInvalid(
                () -> AddressMapper.toDomain("x", Address.getDefaultInstance()),
                "address \"x\"",
                "type",
                "neither workload nor service is set");
    }

    @Test
    void mappedWorkloadsFeedTheStore() {
        var store = new io.ambientjava.ztunnel.state.WorkloadStore();
        store.apply(io.ambientjava.ztunnel.state.StateUpdate.builder()
                .upsert(AddressMapper.toDomain(
                        "w",
                        Address.newBuilder()
                                .setWorkload(workload()
                                        .putServices(
                                                "default/echo.default.svc.cluster.local",
                                                PortList.newBuilder()
                                                        .addPorts(Port.newBuilder()
                                                                .setServicePort(80)
                                                                .setTargetPort(8080))
                                                        .build()))
                                .build()))
                .upsert(AddressMapper.toDomain(
                        "s", Address.newBuilder().setService(service()).build()))
                .build());
        var snapshot = store.snapshot();
        assertThat(snapshot.endpoints(NamespacedHostname.parse("default/echo.default.svc.cluster.local")))
                .hasSize(1);
        assertThat(List.of(snapshot.serviceAt(io.ambientjava.ztunnel.state.NetworkAddress.parse("/198.19.0.10"), 80)))
                .allSatisfy(s -> assertThat(s).isPresent());
    }

    private static void assertInvalid(Runnable mapping, String resource, String field, String problem) {
        assertThatThrownBy(mapping::run)
                .isInstanceOfSatisfying(InvalidResourceException.class, e -> {
                    assertThat(e.resource()).isEqualTo(resource);
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.problem()).isEqualTo(problem);
                })
                .hasMessage(resource + ": " + field + ": " + problem);
    }
}
