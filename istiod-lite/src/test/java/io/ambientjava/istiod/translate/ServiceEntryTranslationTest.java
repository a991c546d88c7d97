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
import org.junit.jupiter.api.Test;

/** ServiceEntries with {@code resolution: STATIC} as ztunnel's services and workloads. */
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

    private static byte[] ip(String text) throws Exception {
        return InetAddress.getByName(text).getAddress();
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
    void whatIsNotTranslatedIsReported() {
        var dns = translator.translate(snapshot(LEGACY.replace("resolution: STATIC", "resolution: DNS")));
        assertThat(dns.addresses()).doesNotContainKey("shop/legacy.example.com");
        assertThat(dns.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString())
                        .startsWith("ServiceEntry shop/legacy-api: resolution DNS is not supported yet"));
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
                .anySatisfy(w -> assertThat(w).contains("istio.io/use-waypoint on a ServiceEntry is not supported"));
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
        assertThat(translation.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.toString())
                        .startsWith("WorkloadEntry shop/by-name:")
                        .contains("'vm.example.com' is not an IP address"));
    }

    @Test
    void aServiceWithAWaypointThatSelectsAWorkloadEntryIsReported() {
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
                """)));
        assertThat(translation.warnings())
                .anySatisfy(w -> assertThat(w.toString())
                        .startsWith("WorkloadEntry shop/billing-vm:")
                        .contains("uses waypoint shop/waypoint")
                        .contains("no healthy upstream"));
    }
}
