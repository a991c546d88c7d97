package io.ambientjava.istiod.translate;

import static io.ambientjava.istiod.testsupport.Configs.ambientNamespace;
import static io.ambientjava.istiod.testsupport.Configs.join;
import static io.ambientjava.istiod.testsupport.Configs.pod;
import static io.ambientjava.istiod.testsupport.Configs.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.AppProtocol;
import io.ambientjava.api.workload.GatewayAddress;
import io.ambientjava.api.workload.NetworkAddress;
import io.ambientjava.api.workload.Port;
import io.ambientjava.api.workload.PortList;
import io.ambientjava.api.workload.Service;
import io.ambientjava.api.workload.TunnelProtocol;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.api.workload.WorkloadStatus;
import io.ambientjava.api.workload.WorkloadType;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WorkloadAndServiceTranslationTest {

    private static final String WEB_SERVICE = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec:
              clusterIP: 198.19.0.10
              selector: {app: web}
              ports:
              - {name: http, port: 80, targetPort: http}
              - {name: grpc-api, port: 9090, targetPort: 9091}
              - {name: metrics, port: 9100, targetPort: 9100, appProtocol: http}
            """;

    private final AmbientTranslator translator = new AmbientTranslator(MeshSettings.defaults());

    @Test
    void podInAnAmbientNamespaceBecomesAnHboneWorkloadWithIstiodsFields() {
        String deploymentPod = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web-7d4b9-x2x9z
                  namespace: shop
                  labels: {app: web, version: v2, pod-template-hash: 7d4b9}
                  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9, uid: u1, controller: true}]
                spec:
                  serviceAccountName: web
                  nodeName: node-a
                  containers: [{name: app, image: web, ports: [{name: http, containerPort: 8080}]}]
                status:
                  podIP: 198.18.1.5
                  conditions: [{type: Ready, status: "True"}]
                """;
        var translation = translator.translate(snapshot(join(ambientNamespace("shop"), deploymentPod, WEB_SERVICE)));

        Address address = translation.addresses().get("Kubernetes//Pod/shop/web-7d4b9-x2x9z");
        assertThat(address).isNotNull();
        Workload workload = address.getWorkload();
        assertThat(workload.getUid()).isEqualTo("Kubernetes//Pod/shop/web-7d4b9-x2x9z");
        assertThat(workload.getName()).isEqualTo("web-7d4b9-x2x9z");
        assertThat(workload.getNamespace()).isEqualTo("shop");
        assertThat(workload.getAddressesList()).containsExactly(ByteString.copyFrom(new byte[] {(byte) 198, 18, 1, 5}));
        assertThat(workload.getServiceAccount()).isEqualTo("web");
        assertThat(workload.getNode()).isEqualTo("node-a");
        assertThat(workload.getTunnelProtocol()).isEqualTo(TunnelProtocol.HBONE);
        assertThat(workload.getTrustDomain())
                .as("istiod omits the default trust domain")
                .isEmpty();
        assertThat(workload.getClusterId()).isEqualTo("Kubernetes");
        assertThat(workload.getStatus()).isEqualTo(WorkloadStatus.HEALTHY);
        assertThat(workload.getWorkloadName()).isEqualTo("web");
        assertThat(workload.getWorkloadType()).isEqualTo(WorkloadType.DEPLOYMENT);
        assertThat(workload.getCanonicalName()).isEqualTo("web");
        assertThat(workload.getCanonicalRevision()).isEqualTo("v2");
        assertThat(workload.getServicesMap())
                .containsExactly(Map.entry(
                        "shop/web.shop.svc.cluster.local",
                        PortList.newBuilder()
                                .addPorts(Port.newBuilder().setServicePort(80).setTargetPort(8080))
                                .addPorts(Port.newBuilder().setServicePort(9090).setTargetPort(9091))
                                .addPorts(Port.newBuilder().setServicePort(9100).setTargetPort(9100))
                                .build()));
        assertThat(workload.getAuthorizationPoliciesList()).isEmpty();
        assertThat(workload.hasWaypoint()).isFalse();
    }

    @Test
    void aPodListsEveryServiceWhoseWholeSelectorMatchesAndNoOther() {
        String services = """
                apiVersion: v1
                kind: Service
                metadata: {name: by-app, namespace: shop}
                spec: {clusterIP: 198.19.0.21, selector: {app: web}, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: by-version, namespace: shop}
                spec: {clusterIP: 198.19.0.22, selector: {version: v2}, ports: [{port: 81}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: by-app-and-tier, namespace: shop}
                spec: {clusterIP: 198.19.0.23, selector: {app: web, tier: db}, ports: [{port: 82}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: other-namespace, namespace: other}
                spec: {clusterIP: 198.19.0.24, selector: {app: web}, ports: [{port: 83}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: no-selector, namespace: shop}
                spec: {clusterIP: 198.19.0.25, ports: [{port: 84}]}
                """;
        var translation = translator.translate(snapshot(join(
                ambientNamespace("shop"),
                services,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web", "version=v2"))));

        assertThat(translation
                        .addresses()
                        .get("Kubernetes//Pod/shop/web-0")
                        .getWorkload()
                        .getServicesMap())
                .containsOnlyKeys("shop/by-app.shop.svc.cluster.local", "shop/by-version.shop.svc.cluster.local");
    }

    @Test
    void unchangedPodsAreReusedWhenOnlyPodsChangedAndRebuiltWhenTheirContextChanges() {
        var base = snapshot(join(
                ambientNamespace("shop"),
                WEB_SERVICE,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"),
                pod("shop", "web-1", "198.18.1.6", "web", "node-a", "app=web")));
        var first = translator.translate(base);

        List<ConfigResource> withNewPod = new ArrayList<>(base.resources().values());
        withNewPod.addAll(snapshot(pod("shop", "web-2", "198.18.1.7", "web", "node-b", "app=web"))
                .resources()
                .values());
        var second = translator.translate(ConfigSnapshot.of(2, withNewPod));

        assertThat(second.addresses()).containsKey("Kubernetes//Pod/shop/web-2");
        assertThat(second.addresses().get("Kubernetes//Pod/shop/web-0"))
                .as("an unchanged pod's workload is taken from the last translation")
                .isSameAs(first.addresses().get("Kubernetes//Pod/shop/web-0"));

        // The Service changes (another target port): every pod's workload is built again with it.
        List<ConfigResource> withNewService = new ArrayList<>();
        for (ConfigResource resource : withNewPod) {
            if (resource.key().kind() != ResourceKind.SERVICE) {
                withNewService.add(resource);
            }
        }
        withNewService.addAll(snapshot(WEB_SERVICE.replace("targetPort: 9091", "targetPort: 9095"))
                .resources()
                .values());
        var third = translator.translate(ConfigSnapshot.of(3, withNewService));

        assertThat(third.addresses()
                        .get("Kubernetes//Pod/shop/web-0")
                        .getWorkload()
                        .getServicesMap()
                        .get("shop/web.shop.svc.cluster.local")
                        .getPortsList())
                .contains(Port.newBuilder()
                        .setServicePort(9090)
                        .setTargetPort(9095)
                        .build());
    }

    @Test
    void podsOutsideTheMeshAreSentWithoutTunnelAndOptOutWins() {
        String plainNamespace = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: legacy}
                """;
        var translation = translator.translate(snapshot(join(
                ambientNamespace("shop"),
                plainNamespace,
                pod("shop", "in-mesh", "198.18.1.5", "web", "node-a", "app=web"),
                pod("shop", "opted-out", "198.18.1.6", "web", "node-a", "app=web", "istio.io/dataplane-mode=none"),
                pod("legacy", "plain", "198.18.1.7", "default", "node-a", "app=old"),
                pod("legacy", "opted-in", "198.18.1.8", "default", "node-a", "istio.io/dataplane-mode=ambient"))));
        Map<String, TunnelProtocol> tunnels = translation.addresses().values().stream()
                .filter(Address::hasWorkload)
                .collect(Collectors.toMap(
                        a -> a.getWorkload().getName(), a -> a.getWorkload().getTunnelProtocol()));
        assertThat(tunnels)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "in-mesh", TunnelProtocol.HBONE,
                        "opted-out", TunnelProtocol.NONE,
                        "plain", TunnelProtocol.NONE,
                        "opted-in", TunnelProtocol.HBONE));
    }

    @Test
    void podsWithoutIpOrFinishedOrOnHostNetworkAreNotWorkloads() {
        String noIp = """
                apiVersion: v1
                kind: Pod
                metadata: {name: pending, namespace: shop}
                spec: {containers: [{name: app}]}
                """;
        String finished = """
                apiVersion: v1
                kind: Pod
                metadata: {name: done, namespace: shop}
                spec: {containers: [{name: app}]}
                status: {phase: Succeeded, podIP: 198.18.1.9}
                """;
        String hostNetwork = """
                apiVersion: v1
                kind: Pod
                metadata: {name: host, namespace: shop}
                spec: {hostNetwork: true, containers: [{name: app}]}
                status: {podIP: 198.18.0.1}
                """;
        var translation = translator.translate(snapshot(join(ambientNamespace("shop"), noIp, finished, hostNetwork)));
        assertThat(translation.addresses()).isEmpty();
    }

    @Test
    void serviceBecomesAServiceAddressWithVipPortsAndHostname() {
        var translation = translator.translate(snapshot(join(ambientNamespace("shop"), WEB_SERVICE)));
        Service service =
                translation.addresses().get("shop/web.shop.svc.cluster.local").getService();
        assertThat(service.getName()).isEqualTo("web");
        assertThat(service.getNamespace()).isEqualTo("shop");
        assertThat(service.getHostname()).isEqualTo("web.shop.svc.cluster.local");
        assertThat(service.getAddressesList())
                .containsExactly(NetworkAddress.newBuilder()
                        .setNetwork("")
                        .setAddress(ByteString.copyFrom(new byte[] {(byte) 198, 19, 0, 10}))
                        .build());
        assertThat(service.getPortsList())
                .containsExactly(
                        Port.newBuilder()
                                .setServicePort(80)
                                .setTargetPort(0)
                                .setAppProtocol(AppProtocol.HTTP11)
                                .build(),
                        Port.newBuilder()
                                .setServicePort(9090)
                                .setTargetPort(9091)
                                .setAppProtocol(AppProtocol.GRPC)
                                .build(),
                        Port.newBuilder()
                                .setServicePort(9100)
                                .setTargetPort(9100)
                                .setAppProtocol(AppProtocol.HTTP11)
                                .build());
        assertThat(service.getCanonical()).isTrue();
        assertThat(service.hasWaypoint()).isFalse();
    }

    @Test
    void headlessServiceHasNoVipAndNamedPortMissingOnThePodIsLeftOut() {
        String headless = """
                apiVersion: v1
                kind: Service
                metadata: {name: db, namespace: shop}
                spec:
                  clusterIP: None
                  selector: {app: db}
                  ports: [{name: sql, port: 5432, targetPort: postgres}]
                """;
        var translation = translator.translate(snapshot(join(
                ambientNamespace("shop"), headless, pod("shop", "db-0", "198.18.1.20", "db", "node-b", "app=db"))));
        assertThat(translation
                        .addresses()
                        .get("shop/db.shop.svc.cluster.local")
                        .getService()
                        .getAddressesList())
                .isEmpty();
        Workload db = translation.addresses().get("Kubernetes//Pod/shop/db-0").getWorkload();
        assertThat(db.getServicesMap()).containsOnlyKeys("shop/db.shop.svc.cluster.local");
        assertThat(db.getServicesMap().get("shop/db.shop.svc.cluster.local").getPortsList())
                .isEmpty();
    }

    @Test
    void namespaceWaypointServesServicesByDefaultAndWorkloadsOnlyWhenDeclared() {
        String shop = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
                """;
        String waypoint = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: waypoint, namespace: shop}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                status:
                  addresses: [{type: IPAddress, value: 198.19.0.99}]
                """;
        GatewayAddress expected = GatewayAddress.newBuilder()
                .setAddress(
                        NetworkAddress.newBuilder().setAddress(ByteString.copyFrom(new byte[] {(byte) 198, 19, 0, 99})))
                .setHboneMtlsPort(15008)
                .build();
        var translation = translator.translate(snapshot(
                join(shop, waypoint, WEB_SERVICE, pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"))));
        assertThat(translation
                        .addresses()
                        .get("shop/web.shop.svc.cluster.local")
                        .getService()
                        .getWaypoint())
                .isEqualTo(expected);
        assertThat(translation
                        .addresses()
                        .get("Kubernetes//Pod/shop/web-0")
                        .getWorkload()
                        .hasWaypoint())
                .as("waypoint-for defaults to service")
                .isFalse();
        assertThat(translation.warnings())
                .as("a namespace's service waypoint leaves its pods' own traffic alone, silently")
                .isEmpty();

        String allTraffic = waypoint.replace(
                "name: waypoint, namespace: shop}",
                "name: waypoint, namespace: shop, labels: {istio.io/waypoint-for: all}}");
        String optedOut = WEB_SERVICE.replace(
                "metadata: {name: web, namespace: shop}",
                "metadata: {name: web, namespace: shop, labels: {istio.io/use-waypoint: none}}");
        translation = translator.translate(snapshot(
                join(shop, allTraffic, optedOut, pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"))));
        assertThat(translation
                        .addresses()
                        .get("Kubernetes//Pod/shop/web-0")
                        .getWorkload()
                        .getWaypoint())
                .isEqualTo(expected);
        assertThat(translation
                        .addresses()
                        .get("shop/web.shop.svc.cluster.local")
                        .getService()
                        .hasWaypoint())
                .isFalse();
        assertThat(translation.warnings()).isEmpty();
    }

    @Test
    void aServiceWaypointNamedOnAPodItselfIsReportedForThatPodOnly() {
        String shop = """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
                """;
        String waypoint = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: waypoint, namespace: shop}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                status:
                  addresses: [{type: IPAddress, value: 198.19.0.99}]
                """;
        var translation = translator.translate(snapshot(join(
                shop,
                waypoint,
                WEB_SERVICE,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"),
                pod("shop", "web-1", "198.18.1.6", "web", "node-a", "app=web", "istio.io/use-waypoint=waypoint"))));
        assertThat(translation
                        .addresses()
                        .get("Kubernetes//Pod/shop/web-1")
                        .getWorkload()
                        .hasWaypoint())
                .isFalse();
        assertThat(translation.warnings()).singleElement().satisfies(w -> {
            assertThat(w.resource().toString()).isEqualTo("Pod shop/web-1");
            assertThat(w.message())
                    .isEqualTo("waypoint shop/waypoint is for 'service' traffic, not workload traffic; not used");
        });
    }

    @Test
    void localMeshWaypointWithoutStatusUsesItsServiceAndAMissingWaypointIsReported() {
        String service = WEB_SERVICE.replace(
                "metadata: {name: web, namespace: shop}",
                "metadata: {name: web, namespace: shop, labels: {istio.io/use-waypoint: wp}}");
        String other = """
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: shop, labels: {istio.io/use-waypoint: missing}}
                spec: {clusterIP: 198.19.0.11, ports: [{port: 80}]}
                """;
        String gateway = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: wp, namespace: shop}
                spec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}
                """;
        String gatewayService = """
                apiVersion: v1
                kind: Service
                metadata: {name: wp, namespace: shop, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
                spec: {clusterIP: 198.19.0.98, ports: [{name: mesh, port: 15008}]}
                """;
        var translation =
                translator.translate(snapshot(join(ambientNamespace("shop"), service, other, gateway, gatewayService)));
        assertThat(translation
                        .addresses()
                        .get("shop/web.shop.svc.cluster.local")
                        .getService()
                        .getWaypoint()
                        .getAddress()
                        .getAddress())
                .isEqualTo(ByteString.copyFrom(new byte[] {(byte) 198, 19, 0, 98}));
        assertThat(translation.warnings()).singleElement().satisfies(w -> {
            assertThat(w.resource().toString()).isEqualTo("Service shop/api");
            assertThat(w.message()).contains("waypoint shop/missing does not exist");
        });
    }

    @Test
    void oneChangedPodChangesExactlyOneAddress() {
        String base = join(ambientNamespace("shop"), WEB_SERVICE);
        var before = translator.translate(snapshot(join(
                base,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"),
                pod("shop", "web-1", "198.18.1.6", "web", "node-b", "app=web"))));
        var after = translator.translate(snapshot(join(
                base,
                pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"),
                pod("shop", "web-1", "198.18.1.7", "web", "node-b", "app=web"))));
        Set<String> changed = before.addresses().keySet().stream()
                .filter(k -> !before.addresses().get(k).equals(after.addresses().get(k)))
                .collect(Collectors.toSet());
        assertThat(changed).containsExactly("Kubernetes//Pod/shop/web-1");
    }

    @Test
    void customTrustDomainIsSentOnWorkloads() {
        var custom = new AmbientTranslator(MeshSettings.defaults().withTrustDomain("mesh.example"));
        var translation = custom.translate(
                snapshot(join(ambientNamespace("shop"), pod("shop", "web-0", "198.18.1.5", "web", "node-a"))));
        assertThat(translation
                        .addresses()
                        .get("Kubernetes//Pod/shop/web-0")
                        .getWorkload()
                        .getTrustDomain())
                .isEqualTo("mesh.example");
    }
}
