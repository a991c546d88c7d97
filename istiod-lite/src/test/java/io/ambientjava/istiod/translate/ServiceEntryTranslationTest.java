package io.ambientjava.istiod.translate;

import static io.ambientjava.istiod.testsupport.Configs.ambientNamespace;
import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static io.ambientjava.istiod.testsupport.Configs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.api.workload.AppProtocol;
import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.Service;
import io.ambientjava.api.workload.TunnelProtocol;
import io.ambientjava.api.workload.Workload;
import java.net.InetAddress;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ServiceEntries with {@code resolution: STATIC}, {@code DNS} and {@code DNS_ROUND_ROBIN}, and WorkloadEntries, as
 * ztunnel's services and workloads.
 */
class ServiceEntryTranslationTest {

    private final AmbientTranslator translator = new AmbientTranslator(MeshSettings.defaults());

    private static final String LEGACY = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: legacy-api, namespace: shop}
            spec:
              hosts: [legacy.example.com]
              addresses: [198.19.1.90]
              ports:
              - {number: 80, name: http, protocol: HTTP, targetPort: 8080}
              - {number: 5432, name: tcp-db, protocol: TCP}
              location: MESH_EXTERNAL
              resolution: STATIC
              endpoints:
              - {address: 198.18.9.10, labels: {app: legacy, version: v9}, serviceAccount: legacy}
              - {address: 198.18.9.11, ports: {http: 9090}}
            """;

    /** The namespace shop, whose traffic goes through its waypoint egress. */
    private static final String EGRESS_WAYPOINT = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {istio.io/use-waypoint: egress}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: egress, namespace: shop}
            spec:
              gatewayClassName: istio-waypoint
              listeners: [{name: mesh, port: 15008, protocol: HBONE}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: egress, namespace: shop, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
            spec: {clusterIP: 198.19.0.3, ports: [{name: mesh, port: 15008}]}
            """;

    private static byte[] ip(String text) throws Exception {
        return InetAddress.getByName(text).getAddress();
    }

    @Test
    void anEntryInAWaypointNamespaceSendsItsHostsThroughTheWaypoint() throws Exception {
        String waypoint = EGRESS_WAYPOINT;
        var translation = translator.translate(snapshot(join(waypoint, LEGACY)));

        Service service = translation.addresses().get("shop/legacy.example.com").getService();
        assertThat(service.getWaypoint().getAddress().getAddress().toByteArray())
                .isEqualTo(ip("198.19.0.3"));
        assertThat(service.getWaypoint().getHboneMtlsPort()).isEqualTo(15008);

        var optedOut = translator.translate(snapshot(join(
                waypoint,
                LEGACY.replace(
                        "metadata: {name: legacy-api, namespace: shop}",
                        "metadata: {name: legacy-api, namespace: shop, labels: {istio.io/use-waypoint: none}}"))));
        assertThat(optedOut.addresses()
                        .get("shop/legacy.example.com")
                        .getService()
                        .hasWaypoint())
                .as("the entry's own label opts out")
                .isFalse();
    }

    @Test
    void eachHostIsAServiceWithTheEntrysAddressesAndEachEndpointAWorkloadOutsideTheMesh() throws Exception {
        var translation = translator.translate(snapshot(LEGACY));
        Service service = translation.addresses().get("shop/legacy.example.com").getService();
        assertThat(service.getName()).isEqualTo("legacy-api");
        assertThat(service.getAddresses(0).getAddress().toByteArray()).isEqualTo(ip("198.19.1.90"));
        assertThat(service.getPortsList())
                .extracting(Port::getServicePort, Port::getTargetPort, Port::getAppProtocol)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(80, 8080, AppProtocol.HTTP11),
                        org.assertj.core.groups.Tuple.tuple(5432, 5432, AppProtocol.UNKNOWN));
        Workload first = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/ServiceEntry/shop/legacy-api/198.18.9.10")
                .getWorkload();
        assertThat(first.getAddresses(0).toByteArray()).isEqualTo(ip("198.18.9.10"));
        assertThat(first.getTunnelProtocol()).isEqualTo(TunnelProtocol.NONE);
        assertThat(first.getServiceAccount()).isEqualTo("legacy");
        assertThat(first.getCanonicalName()).isEqualTo("legacy");
        assertThat(first.getCanonicalRevision()).isEqualTo("v9");
        assertThat(first.getServicesMap().get("shop/legacy.example.com").getPortsList())
                .extracting(Port::getServicePort, Port::getTargetPort)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(80, 8080), org.assertj.core.groups.Tuple.tuple(5432, 5432));
        Workload second = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/ServiceEntry/shop/legacy-api/198.18.9.11")
                .getWorkload();
        assertThat(second.getServicesMap()
                        .get("shop/legacy.example.com")
                        .getPorts(0)
                        .getTargetPort())
                .as("the endpoint's own port for 'http'")
                .isEqualTo(9090);
        assertThat(second.getServiceAccount()).isEqualTo("default");
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void podsTheWorkloadSelectorPicksServeTheEntrysHosts() {
        String selecting = """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: inventory, namespace: shop}
                spec:
                  hosts: [inventory.internal]
                  addresses: [198.19.1.91]
                  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
                  location: MESH_INTERNAL
                  resolution: STATIC
                  workloadSelector: {labels: {app: inventory}}
                """;
        var translation = translator.translate(snapshot(join(
                ambientNamespace("shop"),
                pod("shop", "inventory-0", "198.18.1.20", "inventory", "node-a", "app=inventory"),
                pod("shop", "web-0", "198.18.1.21", "web", "node-a", "app=web"),
                selecting)));
        Workload inventory = translation.addresses().values().stream()
                .filter(a -> a.hasWorkload() && a.getWorkload().getName().equals("inventory-0"))
                .findFirst()
                .orElseThrow()
                .getWorkload();
        assertThat(inventory.getServicesMap()).containsKey("shop/inventory.internal");
        assertThat(inventory
                        .getServicesMap()
                        .get("shop/inventory.internal")
                        .getPorts(0)
                        .getTargetPort())
                .isEqualTo(8080);
        Workload web = translation.addresses().values().stream()
                .filter(a -> a.hasWorkload() && a.getWorkload().getName().equals("web-0"))
                .findFirst()
                .orElseThrow()
                .getWorkload();
        assertThat(web.getServicesMap()).doesNotContainKey("shop/inventory.internal");
        assertThat(translation.addresses()).containsKey("shop/inventory.internal");
    }

    @Test
    void aNoneEntryIsAPassthroughServiceAtItsAddressesWithoutEndpoints() throws Exception {
        var translation = translator.translate(snapshot(LEGACY.replace("resolution: STATIC", "resolution: NONE")));

        assertThat(translation.addresses()).containsOnlyKeys("shop/legacy.example.com");
        var service = translation.addresses().get("shop/legacy.example.com").getService();
        assertThat(service.getAddressesList())
                .extracting(a -> a.getAddress().toByteArray())
                .containsExactly(ip("198.19.1.90"));
        assertThat(service.getLoadBalancing().getMode())
                .isEqualTo(io.ambientjava.api.workload.LoadBalancing.Mode.PASSTHROUGH);
        assertThat(service.getLoadBalancing().getHealthPolicy())
                .isEqualTo(io.ambientjava.api.workload.LoadBalancing.HealthPolicy.ALLOW_ALL);

        var behindWaypoint = translator.translate(
                snapshot(join(EGRESS_WAYPOINT, LEGACY.replace("resolution: STATIC", "resolution: NONE"))));
        assertThat(behindWaypoint
                        .addresses()
                        .get("shop/legacy.example.com")
                        .getService()
                        .hasWaypoint())
                .isFalse();
        assertThat(behindWaypoint.warnings())
                .anySatisfy(w -> assertThat(w.toString()).contains("resolution NONE is not served by waypoints yet"));
    }

    @Test
    void whatIsNotTranslatedIsReported() {
        var none = translator.translate(snapshot(LEGACY.replace("resolution: STATIC", "resolution: NONE")));
        assertThat(none.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString())
                        .startsWith("ServiceEntry shop/legacy-api: endpoints are not used with resolution NONE"));
        var partial = translator.translate(snapshot(LEGACY.replace("[198.19.1.90]", "[198.19.1.90, 198.19.2.0/24]")
                .replace("address: 198.18.9.11", "address: legacy-2.example.com")
                .replace(
                        "metadata: {name: legacy-api, namespace: shop}",
                        "metadata: {name: legacy-api, namespace: shop, labels: {istio.io/use-waypoint: egress}}")));
        assertThat(partial.addresses()).containsKey("shop/legacy.example.com");
        assertThat(partial.warnings())
                .extracting(Object::toString)
                .anySatisfy(w -> assertThat(w).contains("'198.19.2.0/24' is not an IP address"))
                .anySatisfy(w -> assertThat(w).contains("'legacy-2.example.com' is not an IP address"))
                .anySatisfy(w -> assertThat(w)
                        .contains(
                                "waypoint shop/egress does not exist or has no address yet; traffic goes without it"));
    }

    @Test
    void aWorkloadEntryIsAWorkloadOutsideTheMeshThatServicesAndServiceEntriesSelect() throws Exception {
        String vm = """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: billing-vm, namespace: shop}
                spec:
                  address: 198.18.9.20
                  labels: {app: billing, version: v2}
                  serviceAccount: billing
                  ports: {http: 9080}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: billing, namespace: shop}
                spec: {clusterIP: 198.19.0.30, selector: {app: billing}, ports: [{name: http, port: 80, targetPort: 8080}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: billing-ext, namespace: shop}
                spec:
                  hosts: [billing.internal]
                  addresses: [198.19.1.93]
                  ports: [{number: 443, name: tls, protocol: TLS, targetPort: 8443}]
                  resolution: STATIC
                  workloadSelector: {labels: {app: billing}}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: by-name, namespace: shop}
                spec: {address: vm.example.com, labels: {app: billing}}
                """;
        var translation = translator.translate(snapshot(vm));
        Workload workload = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/WorkloadEntry/shop/billing-vm")
                .getWorkload();
        assertThat(workload.getAddresses(0).toByteArray()).isEqualTo(ip("198.18.9.20"));
        assertThat(workload.getTunnelProtocol()).isEqualTo(TunnelProtocol.NONE);
        assertThat(workload.getServiceAccount()).isEqualTo("billing");
        assertThat(workload.getCanonicalRevision()).isEqualTo("v2");
        assertThat(workload.getServicesMap()
                        .get("shop/billing.shop.svc.cluster.local")
                        .getPorts(0)
                        .getTargetPort())
                .as("the entry's own port for the service port named http")
                .isEqualTo(9080);
        assertThat(workload.getServicesMap()
                        .get("shop/billing.internal")
                        .getPorts(0)
                        .getTargetPort())
                .isEqualTo(8443);
        Workload byName = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/WorkloadEntry/shop/by-name")
                .getWorkload();
        assertThat(byName.getHostname()).isEqualTo("vm.example.com");
        assertThat(byName.getAddressesList()).isEmpty();
        assertThat(byName.getServicesMap())
                .containsKeys("shop/billing.shop.svc.cluster.local", "shop/billing.internal");
        assertThat(translation.warnings()).isEmpty();
    }

    private static final String DNS_ENTRY = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external-api, namespace: shop}
            spec:
              hosts: [api.external.test, api-v2.external.test]
              addresses: [198.19.2.10]
              ports:
              - {number: 80, name: http, protocol: HTTP, targetPort: 8080}
              - {number: 9000, name: tcp-feed, protocol: TCP}
              location: MESH_EXTERNAL
              resolution: DNS
              endpoints:
              - {address: api-1.external.test, labels: {app: api, version: v1}, serviceAccount: api, ports: {http: 9090}}
              - {address: 198.18.2.11}
            """;

    @Test
    void aDnsEntrysEndpointByHostNameIsAWorkloadWithThatHostnameAndNoAddressForEveryHost() throws Exception {
        var translation = translator.translate(snapshot(DNS_ENTRY));
        for (String host : new String[] {"api.external.test", "api-v2.external.test"}) {
            Service service = translation.addresses().get("shop/" + host).getService();
            assertThat(service.getHostname()).isEqualTo(host);
            assertThat(service.getName()).isEqualTo("external-api");
            assertThat(service.getAddressesList())
                    .singleElement()
                    .satisfies(vip -> assertThat(vip.getAddress().toByteArray()).isEqualTo(ip("198.19.2.10")));
            assertThat(service.getPortsList())
                    .extracting(Port::getServicePort, Port::getTargetPort, Port::getAppProtocol)
                    .containsExactly(
                            Tuple.tuple(80, 8080, AppProtocol.HTTP11), Tuple.tuple(9000, 9000, AppProtocol.UNKNOWN));
        }
        Workload byName = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/ServiceEntry/shop/external-api/api-1.external.test")
                .getWorkload();
        assertThat(byName.getHostname()).isEqualTo("api-1.external.test");
        assertThat(byName.getAddressesList()).isEmpty();
        assertThat(byName.getTunnelProtocol()).isEqualTo(TunnelProtocol.NONE);
        assertThat(byName.getName()).isEqualTo("external-api");
        assertThat(byName.getNamespace()).isEqualTo("shop");
        assertThat(byName.getServiceAccount()).isEqualTo("api");
        assertThat(byName.getCanonicalName()).isEqualTo("api");
        assertThat(byName.getCanonicalRevision()).isEqualTo("v1");
        assertThat(byName.getServicesMap()).containsOnlyKeys("shop/api.external.test", "shop/api-v2.external.test");
        assertThat(byName.getServicesMap().get("shop/api-v2.external.test").getPortsList())
                .extracting(Port::getServicePort, Port::getTargetPort)
                .as("the endpoint's own port for 'http', the service's target port for the other")
                .containsExactly(Tuple.tuple(80, 9090), Tuple.tuple(9000, 9000));
        Workload byIp = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/ServiceEntry/shop/external-api/198.18.2.11")
                .getWorkload();
        assertThat(byIp.getAddressesList())
                .singleElement()
                .satisfies(a -> assertThat(a.toByteArray()).isEqualTo(ip("198.18.2.11")));
        assertThat(byIp.getHostname()).isEmpty();
        assertThat(byIp.getServiceAccount()).isEqualTo("default");
        assertThat(byIp.getServicesMap().get("shop/api.external.test").getPortsList())
                .extracting(Port::getServicePort, Port::getTargetPort)
                .containsExactly(Tuple.tuple(80, 8080), Tuple.tuple(9000, 9000));
        assertThat(translation.addresses())
                .as("two services and two endpoints, no implicit endpoints beside listed ones")
                .hasSize(4);
        assertThat(translation.warnings()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"DNS", "DNS_ROUND_ROBIN"})
    void aDnsEntryWithoutEndpointsHasAnImplicitEndpointPerHostServingThatHostOnly(String resolution) {
        var translation = new AmbientTranslator(MeshSettings.defaults()
                        .withAutoAllocateRange(io.ambientjava.istiod.config.IpPrefix.parse("198.19.254.0/24")))
                .translate(snapshot("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: external-api, namespace: shop}
                spec:
                  hosts: [api.external.test, api-v2.external.test]
                  ports: [{number: 443, name: https, protocol: TLS, targetPort: 8443}]
                  location: MESH_EXTERNAL
                  resolution: %s
                """.formatted(resolution)));
        for (String host : new String[] {"api.external.test", "api-v2.external.test"}) {
            assertThat(translation.addresses().get("shop/" + host).getService().getAddressesList())
                    .as("no addresses in the entry: each host gets one from the auto-allocation range")
                    .singleElement()
                    .satisfies(a -> assertThat(
                                    InetAddress.getByAddress(a.getAddress().toByteArray())
                                            .getHostAddress())
                            .startsWith("198.19.254."));
            Workload implicit = translation
                    .addresses()
                    .get("Kubernetes/networking.istio.io/ServiceEntry/shop/external-api/" + host)
                    .getWorkload();
            assertThat(implicit.getHostname()).isEqualTo(host);
            assertThat(implicit.getAddressesList()).isEmpty();
            assertThat(implicit.getTunnelProtocol()).isEqualTo(TunnelProtocol.NONE);
            assertThat(implicit.getServiceAccount()).isEqualTo("default");
            assertThat(implicit.getServicesMap()).containsOnlyKeys("shop/" + host);
            assertThat(implicit.getServicesMap().get("shop/" + host).getPortsList())
                    .extracting(Port::getServicePort, Port::getTargetPort)
                    .containsExactly(Tuple.tuple(443, 8443));
        }
        assertThat(translation.addresses()).hasSize(4);
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void aWildcardHostIsReportedAndGetsNoImplicitEndpoint() {
        var translation = translator.translate(snapshot("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: external-apis, namespace: shop}
                spec:
                  hosts: ["*.external.test", api.external.test]
                  ports: [{number: 443, name: https, protocol: TLS}]
                  location: MESH_EXTERNAL
                  resolution: DNS
                """));
        assertThat(translation.addresses())
                .containsKeys(
                        "shop/*.external.test",
                        "shop/api.external.test",
                        "Kubernetes/networking.istio.io/ServiceEntry/shop/external-apis/api.external.test")
                .doesNotContainKey("Kubernetes/networking.istio.io/ServiceEntry/shop/external-apis/*.external.test")
                .hasSize(3);
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString())
                        .startsWith("ServiceEntry shop/external-apis: host '*.external.test' is a wildcard")
                        .contains("no implicit endpoint"));
    }

    @Test
    void anEndpointThatIsNoValidHostNameIsReportedAndTheRestKept() {
        String longLabel = "a".repeat(64);
        var translation =
                translator.translate(snapshot(DNS_ENTRY.replace("- {address: 198.18.2.11}", """
                - {address: 198.18.2.11}
                  - {address: bad_name.external.test}
                  - {address: %s.external.test}
                  - {address: "unix:///var/run/api.sock"}                """.formatted(longLabel))));
        assertThat(translation.addresses())
                .containsKeys(
                        "shop/api.external.test",
                        "shop/api-v2.external.test",
                        "Kubernetes/networking.istio.io/ServiceEntry/shop/external-api/api-1.external.test",
                        "Kubernetes/networking.istio.io/ServiceEntry/shop/external-api/198.18.2.11")
                .hasSize(4);
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .containsExactly(
                        "ServiceEntry shop/external-api: endpoint 'bad_name.external.test' is neither an IP address nor"
                                + " a valid DNS name (labels of letters, digits and '-', 1 to 63 characters each, at"
                                + " most 253 in all); left out",
                        "ServiceEntry shop/external-api: endpoint '" + longLabel + ".external.test' is neither an IP"
                                + " address nor a valid DNS name (labels of letters, digits and '-', 1 to 63"
                                + " characters each, at most 253 in all); left out",
                        "ServiceEntry shop/external-api: endpoint 'unix:///var/run/api.sock' is a Unix socket, which"
                                + " is not supported yet; left out");
    }

    @Test
    void aWorkloadEntryWithAHostNameIsAWorkloadWithThatHostnameAndNoAddress() {
        var translation = translator.translate(snapshot("""
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: api-vm, namespace: shop}
                spec:
                  address: vm-1.external.test
                  labels: {app: api, version: v3}
                  serviceAccount: api
                  ports: {http: 9080}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: shop}
                spec: {clusterIP: 198.19.0.31, selector: {app: api}, ports: [{name: http, port: 80, targetPort: 8080}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: bad-name, namespace: shop}
                spec: {address: "vm_2.external.test", labels: {app: api}}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: socket, namespace: shop}
                spec: {address: "unix:///var/run/api.sock", labels: {app: api}}
                """));
        Workload workload = translation
                .addresses()
                .get("Kubernetes/networking.istio.io/WorkloadEntry/shop/api-vm")
                .getWorkload();
        assertThat(workload.getHostname()).isEqualTo("vm-1.external.test");
        assertThat(workload.getAddressesList()).isEmpty();
        assertThat(workload.getTunnelProtocol()).isEqualTo(TunnelProtocol.NONE);
        assertThat(workload.getServiceAccount()).isEqualTo("api");
        assertThat(workload.getCanonicalName()).isEqualTo("api");
        assertThat(workload.getCanonicalRevision()).isEqualTo("v3");
        assertThat(workload.getServicesMap()
                        .get("shop/api.shop.svc.cluster.local")
                        .getPortsList())
                .extracting(Port::getServicePort, Port::getTargetPort)
                .containsExactly(Tuple.tuple(80, 9080));
        assertThat(translation.addresses())
                .doesNotContainKeys(
                        "Kubernetes/networking.istio.io/WorkloadEntry/shop/bad-name",
                        "Kubernetes/networking.istio.io/WorkloadEntry/shop/socket");
        assertThat(translation.warnings())
                .extracting(Object::toString)
                .containsExactlyInAnyOrder(
                        "WorkloadEntry shop/bad-name: address 'vm_2.external.test' is neither an IP address nor a"
                                + " valid DNS name (labels of letters, digits and '-', 1 to 63 characters each, at"
                                + " most 253 in all); not added to the mesh",
                        "WorkloadEntry shop/socket: address 'unix:///var/run/api.sock' is a Unix socket, which is not"
                                + " supported yet; not added to the mesh");
    }

    @Test
    void aDnsEntryWithAWorkloadSelectorHasNoImplicitEndpointsAndTheSelectedPodsServeIt() {
        var translation = translator.translate(snapshot(join(
                ambientNamespace("shop"),
                pod("shop", "inventory-0", "198.18.1.20", "inventory", "node-a", "app=inventory"),
                """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: inventory, namespace: shop}
                spec:
                  hosts: [inventory.external.test]
                  addresses: [198.19.1.92]
                  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
                  location: MESH_INTERNAL
                  resolution: DNS
                  workloadSelector: {labels: {app: inventory}}
                """)));
        assertThat(translation.addresses())
                .doesNotContainKey(
                        "Kubernetes/networking.istio.io/ServiceEntry/shop/inventory/inventory.external.test");
        Workload inventory = translation.addresses().values().stream()
                .filter(a -> a.hasWorkload() && a.getWorkload().getName().equals("inventory-0"))
                .findFirst()
                .orElseThrow()
                .getWorkload();
        assertThat(inventory
                        .getServicesMap()
                        .get("shop/inventory.external.test")
                        .getPorts(0)
                        .getTargetPort())
                .isEqualTo(8080);
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void aServiceWithAWaypointThatSelectsAWorkloadEntryKnownByNameIsReported() {
        var translation = translator.translate(snapshot(join("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: waypoint, namespace: shop}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: waypoint, namespace: shop}
                spec: {clusterIP: 198.19.0.2, ports: [{name: mesh, port: 15008}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: billing, namespace: shop}
                spec: {clusterIP: 198.19.0.30, selector: {app: billing}, ports: [{name: http, port: 80}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: billing-vm, namespace: shop}
                spec: {address: 198.18.9.20, labels: {app: billing}}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: billing-vm2, namespace: shop}
                spec: {address: vm2.billing.test, labels: {app: billing}}
                """)));
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString())
                        .startsWith("WorkloadEntry shop/billing-vm2:")
                        .contains("uses waypoint shop/waypoint")
                        .contains("does not resolve the names"));
    }
}
