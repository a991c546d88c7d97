package io.ambientjava.api;

import static io.ambientjava.api.Wire.assertEncodes;
import static io.ambientjava.api.Wire.bytes;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.AppProtocol;
import io.ambientjava.api.workload.ApplicationTunnel;
import io.ambientjava.api.workload.Extension;
import io.ambientjava.api.workload.GatewayAddress;
import io.ambientjava.api.workload.IPFamilies;
import io.ambientjava.api.workload.LoadBalancing;
import io.ambientjava.api.workload.Locality;
import io.ambientjava.api.workload.NamespacedHostname;
import io.ambientjava.api.workload.NetworkAddress;
import io.ambientjava.api.workload.NetworkMode;
import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.PortList;
import io.ambientjava.api.workload.Service;
import io.ambientjava.api.workload.TunnelProtocol;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.api.workload.WorkloadStatus;
import io.ambientjava.api.workload.WorkloadType;
import org.junit.jupiter.api.Test;

/**
 * Expected bytes are derived by hand from Istio's field numbers: tag = field_number << 3 | wire_type (0 varint, 2
 * length-delimited), tags and lengths as base-128 varints (low 7 bits first, high bit = "more"). Java writes fields in
 * field-number order. In the comments, "&gt;" marks bytes inside the enclosing nested message.
 */
class WorkloadGoldenBytesTest {

    private static final ByteString IP_198_18_0_1 = ip(198, 18, 0, 1);
    private static final ByteString IP_198_18_0_2 = ip(198, 18, 0, 2);

    @Test
    void addressWithWorkloadUsesOneofField1() throws InvalidProtocolBufferException {
        var address = Address.newBuilder()
                .setWorkload(Workload.newBuilder().setUid("u"))
                .build();
        assertEncodes(
                address,
                bytes(
                        bytes(0x0A, 0x04), // workload: field 1 LEN (1<<3|2), 4 bytes
                        bytes(0xA2, 0x01, 0x01, 'u') // > uid: field 20 LEN, 20<<3|2 = 162 = varint A2 01
                        ));
    }

    @Test
    void addressWithServiceUsesOneofField2() throws InvalidProtocolBufferException {
        var address = Address.newBuilder()
                .setService(Service.newBuilder().setName("s"))
                .build();
        assertEncodes(
                address,
                bytes(
                        bytes(0x12, 0x03), // service: field 2 LEN (2<<3|2 = 0x12), 3 bytes
                        bytes(0x0A, 0x01, 's') // > name: field 1 LEN
                        ));
    }

    @Test
    void workloadEveryField() throws InvalidProtocolBufferException {
        var workload = Workload.newBuilder()
                .setUid("uid")
                .setName("n")
                .setNamespace("ns")
                .addAddresses(IP_198_18_0_1)
                .setHostname("h")
                .setNetwork("net")
                .setTunnelProtocol(TunnelProtocol.HBONE)
                .setTrustDomain("td")
                .setServiceAccount("sa")
                .setWaypoint(GatewayAddress.newBuilder()
                        .setAddress(NetworkAddress.newBuilder().setAddress(IP_198_18_0_2))
                        .setHboneMtlsPort(15008))
                .setNetworkGateway(GatewayAddress.newBuilder().setHboneMtlsPort(15008))
                .setNode("node")
                .setCanonicalName("cn")
                .setCanonicalRevision("v1")
                .setWorkloadType(WorkloadType.POD)
                .setWorkloadName("wn")
                .setNativeTunnel(true)
                .setApplicationTunnel(ApplicationTunnel.newBuilder()
                        .setProtocol(ApplicationTunnel.Protocol.PROXY)
                        .setPort(9000))
                .putServices(
                        "ns/svc",
                        PortList.newBuilder()
                                .addPorts(Port.newBuilder().setServicePort(80).setTargetPort(8080))
                                .build())
                .addAuthorizationPolicies("ns/p")
                .setStatus(WorkloadStatus.UNHEALTHY)
                .setClusterId("c1")
                .setLocality(Locality.newBuilder().setRegion("r").setZone("z").setSubzone("s"))
                .setNetworkMode(NetworkMode.HOST_NETWORK)
                .addExtensions(Extension.newBuilder()
                        .setName("x")
                        .setConfig(Any.newBuilder().setTypeUrl("t/x").setValue(ByteString.copyFrom(new byte[] {1}))))
                .setCapacity(UInt32Value.of(2))
                .build();

        assertEncodes(
                workload,
                bytes(
                        bytes(0x0A, 0x01, 'n'), // name: 1<<3|2
                        bytes(0x12, 0x02, "ns"), // namespace: 2<<3|2
                        bytes(0x1A, 0x04, 198, 18, 0, 1), // addresses (repeated bytes, one element): 3<<3|2
                        bytes(0x22, 0x03, "net"), // network: 4<<3|2
                        bytes(0x28, 0x01), // tunnel_protocol = HBONE (1): 5<<3|0
                        bytes(0x32, 0x02, "td"), // trust_domain: 6<<3|2
                        bytes(0x3A, 0x02, "sa"), // service_account: 7<<3|2
                        bytes(0x42, 0x0B), // waypoint: 8<<3|2, GatewayAddress of 11 bytes
                        bytes(0x12, 0x06), // > address (oneof destination, field 2): NetworkAddress of 6 bytes
                        bytes(0x12, 0x04, 198, 18, 0, 2), // >> NetworkAddress.address: field 2 LEN
                        bytes(0x18, 0xA0, 0x75), // > hbone_mtls_port: 3<<3|0; 15008 = 117*128 + 32 -> A0 75
                        bytes(0x4A, 0x04, "node"), // node: 9<<3|2
                        bytes(0x52, 0x02, "cn"), // canonical_name: 10<<3|2
                        bytes(0x5A, 0x02, "v1"), // canonical_revision: 11<<3|2
                        bytes(0x60, 0x02), // workload_type = POD (2): 12<<3|0
                        bytes(0x6A, 0x02, "wn"), // workload_name: 13<<3|2
                        bytes(0x70, 0x01), // native_tunnel = true: 14<<3|0; field 15 is reserved
                        bytes(0x82, 0x01, 0x04, "ns/p"), // authorization_policies: 16<<3|2 = 130 -> 82 01
                        bytes(0x88, 0x01, 0x01), // status = UNHEALTHY (1): 17<<3|0 = 136 -> 88 01
                        bytes(0x92, 0x01, 0x02, "c1"), // cluster_id: 18<<3|2 = 146 -> 92 01
                        bytes(0x9A, 0x01, 0x03), // network_gateway: 19<<3|2 = 154 -> 9A 01, 3 bytes
                        bytes(0x18, 0xA0, 0x75), // > hbone_mtls_port 15008
                        bytes(0xA2, 0x01, 0x03, "uid"), // uid: 20<<3|2 = 162 -> A2 01
                        bytes(0xAA, 0x01, 0x01, 'h'), // hostname: 21<<3|2 = 170 -> AA 01
                        bytes(0xB2, 0x01, 0x11), // services map entry: 22<<3|2 = 178 -> B2 01, 17 bytes
                        bytes(0x0A, 0x06, "ns/svc"), // > entry key: field 1 LEN
                        bytes(0x12, 0x07), // > entry value: field 2 LEN, PortList of 7 bytes
                        bytes(0x0A, 0x05), // >> PortList.ports: field 1 LEN, Port of 5 bytes
                        bytes(0x08, 0x50), // >>> service_port = 80: 1<<3|0
                        bytes(0x10, 0x90, 0x3F), // >>> target_port = 8080 = 63*128 + 16 -> 90 3F
                        bytes(0xBA, 0x01, 0x05), // application_tunnel: 23<<3|2 = 186 -> BA 01, 5 bytes
                        bytes(0x08, 0x01), // > protocol = PROXY (1)
                        bytes(0x10, 0xA8, 0x46), // > port = 9000 = 70*128 + 40 -> A8 46
                        bytes(0xC2, 0x01, 0x09), // locality: 24<<3|2 = 194 -> C2 01, 9 bytes
                        bytes(0x0A, 0x01, 'r', 0x12, 0x01, 'z', 0x1A, 0x01, 's'), // > region 1, zone 2, subzone 3
                        bytes(0xC8, 0x01, 0x01), // network_mode = HOST_NETWORK (1): 25<<3|0 = 200 -> C8 01
                        bytes(0xD2, 0x01, 0x0D), // extensions: 26<<3|2 = 210 -> D2 01, 13 bytes
                        bytes(0x0A, 0x01, 'x'), // > Extension.name: field 1
                        bytes(0x12, 0x08), // > Extension.config: field 2, Any of 8 bytes
                        bytes(0x0A, 0x03, "t/x", 0x12, 0x01, 0x01), // >> Any.type_url 1, Any.value 2
                        bytes(0xDA, 0x01, 0x02), // capacity: 27<<3|2 = 218 -> DA 01, 2 bytes
                        bytes(0x08, 0x02) // > UInt32Value.value = 2
                        ));
    }

    @Test
    void serviceEveryField() throws InvalidProtocolBufferException {
        var service = Service.newBuilder()
                .setName("a")
                .setNamespace("b")
                .setHostname("h")
                .addAddresses(NetworkAddress.newBuilder().setNetwork("n").setAddress(ip(198, 18, 0, 10)))
                .addPorts(
                        Port.newBuilder().setServicePort(80).setTargetPort(8080).setAppProtocol(AppProtocol.HTTP2))
                .addSubjectAltNames("x")
                .setWaypoint(GatewayAddress.newBuilder()
                        .setHostname(NamespacedHostname.newBuilder()
                                .setNamespace("w")
                                .setHostname("wp"))
                        .setHboneMtlsPort(15008))
                .setLoadBalancing(LoadBalancing.newBuilder().setMode(LoadBalancing.Mode.STRICT))
                .setIpFamilies(IPFamilies.DUAL)
                .addExtensions(Extension.newBuilder().setName("e"))
                .setCanonical(true)
                .setIngressUseWaypoint(true)
                .build();

        assertEncodes(
                service,
                bytes(
                        bytes(0x0A, 0x01, 'a'), // name: 1<<3|2
                        bytes(0x12, 0x01, 'b'), // namespace: 2<<3|2
                        bytes(0x1A, 0x01, 'h'), // hostname: 3<<3|2
                        bytes(0x22, 0x09), // addresses: 4<<3|2, NetworkAddress of 9 bytes
                        bytes(0x0A, 0x01, 'n'), // > network: field 1
                        bytes(0x12, 0x04, 198, 18, 0, 10), // > address: field 2
                        bytes(0x2A, 0x07), // ports: 5<<3|2, Port of 7 bytes
                        bytes(0x08, 0x50), // > service_port 80
                        bytes(0x10, 0x90, 0x3F), // > target_port 8080
                        bytes(0x18, 0x02), // > app_protocol = HTTP2 (2): 3<<3|0
                        bytes(0x32, 0x01, 'x'), // subject_alt_names: 6<<3|2
                        bytes(0x3A, 0x0C), // waypoint: 7<<3|2, GatewayAddress of 12 bytes
                        bytes(0x0A, 0x07), // > hostname (oneof destination, field 1): NamespacedHostname, 7 bytes
                        bytes(0x0A, 0x01, 'w', 0x12, 0x02, "wp"), // >> namespace 1, hostname 2
                        bytes(0x18, 0xA0, 0x75), // > hbone_mtls_port 15008
                        bytes(0x42, 0x02), // load_balancing: 8<<3|2
                        bytes(0x10, 0x01), // > mode = STRICT (1): 2<<3|0
                        bytes(0x48, 0x03), // ip_families = DUAL (3): 9<<3|0
                        bytes(0x52, 0x03, 0x0A, 0x01, 'e'), // extensions: 10<<3|2, Extension{name}
                        bytes(0x58, 0x01), // canonical = true: 11<<3|0
                        bytes(0x60, 0x01) // ingress_use_waypoint = true: 12<<3|0
                        ));
    }

    @Test
    void loadBalancingPacksItsRepeatedEnum() throws InvalidProtocolBufferException {
        var lb = LoadBalancing.newBuilder()
                .addRoutingPreference(LoadBalancing.Scope.NETWORK)
                .addRoutingPreference(LoadBalancing.Scope.REGION)
                .setMode(LoadBalancing.Mode.FAILOVER)
                .setHealthPolicy(LoadBalancing.HealthPolicy.ALLOW_ALL)
                .setDnsConnectStrategy(LoadBalancing.DnsConnectStrategy.FIRST_HEALTHY_RACE)
                .build();
        assertEncodes(
                lb,
                bytes(
                        bytes(0x0A, 0x02, 0x06, 0x01), // routing_preference packed: 1<<3|2, [NETWORK=6, REGION=1]
                        bytes(0x10, 0x02), // mode = FAILOVER (2): 2<<3|0
                        bytes(0x18, 0x01), // health_policy = ALLOW_ALL (1): 3<<3|0
                        bytes(0x20, 0x01) // dns_connect_strategy = FIRST_HEALTHY_RACE (1): 4<<3|0
                        ));
    }

    @Test
    void locality() throws InvalidProtocolBufferException {
        var locality = Locality.newBuilder()
                .setRegion("r")
                .setZone("z")
                .setSubzone("s")
                .build();
        // region 1<<3|2, zone 2<<3|2, subzone 3<<3|2
        assertEncodes(locality, bytes(0x0A, 0x01, 'r', 0x12, 0x01, 'z', 0x1A, 0x01, 's'));
    }

    @Test
    void portListRepeatsPortMessages() throws InvalidProtocolBufferException {
        var ports = PortList.newBuilder()
                .addPorts(Port.newBuilder().setServicePort(80))
                .addPorts(Port.newBuilder().setServicePort(443))
                .build();
        assertEncodes(
                ports,
                bytes(
                        bytes(0x0A, 0x02, 0x08, 0x50), // ports[0]: field 1 LEN {service_port 80}
                        bytes(0x0A, 0x03, 0x08, 0xBB, 0x03) // ports[1]: {service_port 443 = 3*128 + 59 -> BB 03}
                        ));
    }

    @Test
    void port() throws InvalidProtocolBufferException {
        var port = Port.newBuilder()
                .setServicePort(1)
                .setTargetPort(2)
                .setAppProtocol(AppProtocol.GRPC)
                .build();
        // service_port 1<<3|0, target_port 2<<3|0, app_protocol = GRPC (3) 3<<3|0
        assertEncodes(port, bytes(0x08, 0x01, 0x10, 0x02, 0x18, 0x03));
    }

    @Test
    void applicationTunnel() throws InvalidProtocolBufferException {
        var tunnel = ApplicationTunnel.newBuilder()
                .setProtocol(ApplicationTunnel.Protocol.PROXY)
                .setPort(9000)
                .build();
        // protocol = PROXY (1): 1<<3|0; port 9000: 2<<3|0, A8 46
        assertEncodes(tunnel, bytes(0x08, 0x01, 0x10, 0xA8, 0x46));
    }

    @Test
    void gatewayAddressByHostname() throws InvalidProtocolBufferException {
        var gateway = GatewayAddress.newBuilder()
                .setHostname(NamespacedHostname.newBuilder().setNamespace("ns").setHostname("w"))
                .setHboneMtlsPort(15008)
                .build();
        assertEncodes(
                gateway,
                bytes(
                        bytes(0x0A, 0x07), // hostname (oneof destination, field 1), 7 bytes
                        bytes(0x0A, 0x02, "ns", 0x12, 0x01, 'w'), // > namespace 1, hostname 2
                        bytes(0x18, 0xA0, 0x75) // hbone_mtls_port 15008: 3<<3|0
                        ));
    }

    @Test
    void gatewayAddressByIp() throws InvalidProtocolBufferException {
        var gateway = GatewayAddress.newBuilder()
                .setAddress(NetworkAddress.newBuilder().setNetwork("n").setAddress(IP_198_18_0_1))
                .build();
        assertEncodes(
                gateway,
                bytes(
                        bytes(0x12, 0x09), // address (oneof destination, field 2), 9 bytes
                        bytes(0x0A, 0x01, 'n', 0x12, 0x04, 198, 18, 0, 1) // > network 1, address 2
                        ));
    }

    @Test
    void networkAddressIpv6() throws InvalidProtocolBufferException {
        byte[] loopback = new byte[16];
        loopback[15] = 1;
        var address = NetworkAddress.newBuilder()
                .setNetwork("n")
                .setAddress(ByteString.copyFrom(loopback))
                .build();
        assertEncodes(
                address,
                bytes(
                        bytes(0x0A, 0x01, 'n'), // network: field 1
                        bytes(0x12, 0x10), // address: field 2, 16 bytes
                        bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) // > ::1
                        ));
    }

    @Test
    void namespacedHostname() throws InvalidProtocolBufferException {
        var name = NamespacedHostname.newBuilder()
                .setNamespace("n")
                .setHostname("h")
                .build();
        assertEncodes(name, bytes(0x0A, 0x01, 'n', 0x12, 0x01, 'h')); // namespace 1, hostname 2
    }

    @Test
    void extensionCarriesAny() throws InvalidProtocolBufferException {
        var extension = Extension.newBuilder()
                .setName("x")
                .setConfig(Any.newBuilder().setTypeUrl("t/x").setValue(ByteString.copyFrom(new byte[] {1})))
                .build();
        assertEncodes(
                extension,
                bytes(
                        bytes(0x0A, 0x01, 'x'), // name: field 1
                        bytes(0x12, 0x08), // config: field 2, Any of 8 bytes
                        bytes(0x0A, 0x03, "t/x", 0x12, 0x01, 0x01) // > type_url 1, value 2
                        ));
    }

    private static ByteString ip(int a, int b, int c, int d) {
        return ByteString.copyFrom(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    }
}
