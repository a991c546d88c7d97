package io.ambientjava.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.kubernetes.KubernetesSource;
import io.ambientjava.istiod.config.kubernetes.WatchedKind;
import io.ambientjava.istiod.testsupport.MockApiServer;
import io.ambientjava.istiod.testsupport.SharedMockApiServer;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.translate.WaypointIndex;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The waypoint deployment controller against fabric8's mock API server in CRUD mode, fed by the Kubernetes source as
 * in istiod-lite. The mock allocates no cluster IPs; the tests set them as the API server would.
 */
class WaypointDeploymentsTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Duration ROUND = Duration.ofSeconds(10);
    private static final WaypointTemplate.Settings SETTINGS = new WaypointTemplate.Settings(
            "registry.test/ambient-java/waypoint:t1",
            "istiod.istio-system.svc:15012",
            "cluster.local",
            "cluster.local");
    private static final KubernetesSource.Options SOURCE_OPTIONS = KubernetesSource.Options.defaults()
            .withDebounce(Duration.ofMillis(30))
            .withInitialSyncTimeout(Duration.ofSeconds(10))
            .withKinds(List.of(
                    WatchedKind.newest(ResourceKind.NAMESPACE),
                    WatchedKind.newest(ResourceKind.SERVICE),
                    WatchedKind.newest(ResourceKind.SERVICE_ACCOUNT),
                    WatchedKind.newest(ResourceKind.GATEWAY),
                    WatchedKind.newest(ResourceKind.GATEWAY_CLASS)));

    @RegisterExtension
    static final SharedMockApiServer API = new SharedMockApiServer();

    private static MockApiServer api() {
        return API.server();
    }

    private KubernetesClient client;
    private KubernetesClient admin;
    private KubernetesSource source;
    private WaypointDeployments deployments;

    @BeforeEach
    void clients() {
        // No client-side retries: a failure the mock is told to answer reaches the controller.
        client = API.newClientWithoutRetries();
        admin = api().newClient();
    }

    @AfterEach
    void stop() {
        if (deployments != null) {
            deployments.close();
        }
        if (source != null) {
            source.close();
        }
        client.close();
        admin.close();
    }

    private void startController() {
        source = KubernetesSource.connect(api().config(), SOURCE_OPTIONS);
        deployments = WaypointDeployments.start(
                client,
                source,
                SETTINGS,
                ReconcileLoop.Options.defaults()
                        .withResyncPeriod(Duration.ofMinutes(10))
                        .withRetryDelay(Duration.ofMillis(200)));
    }

    private static String waypoint(String namespace, String name, String labels) {
        return """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: %s, namespace: %s, labels: {%s}}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners:
                  - {name: mesh, port: 15008, protocol: HBONE}
                """.formatted(name, namespace, labels);
    }

    private Gateway gateway(String namespace, String name) {
        return admin.resources(Gateway.class)
                .inNamespace(namespace)
                .withName(name)
                .get();
    }

    private Service service(String namespace, String name) {
        return admin.services().inNamespace(namespace).withName(name).get();
    }

    private ServiceAccount serviceAccount(String namespace, String name) {
        return admin.serviceAccounts().inNamespace(namespace).withName(name).get();
    }

    private Deployment deployment(String namespace, String name) {
        return admin.apps().deployments().inNamespace(namespace).withName(name).get();
    }

    private Optional<Condition> condition(String namespace, String name, String type) {
        Gateway gateway = gateway(namespace, name);
        if (gateway == null
                || gateway.getStatus() == null
                || gateway.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return gateway.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()))
                .findFirst();
    }

    private boolean conditionIs(String namespace, String name, String type, String status, String reason) {
        return condition(namespace, name, type)
                .map(c -> status.equals(c.getStatus()) && reason.equals(c.getReason()))
                .orElse(false);
    }

    /** What the API server does for a ClusterIP Service: allocate it an address. */
    private void allocateClusterIp(String namespace, String name, String ip) {
        Service service = service(namespace, name);
        service.getSpec().setClusterIP(ip);
        service.getSpec().setClusterIPs(List.of(ip));
        admin.services().inNamespace(namespace).resource(service).update();
    }

    private void awaitObjects(String namespace, String name) {
        await().atMost(WAIT)
                .until(() -> serviceAccount(namespace, name) != null
                        && service(namespace, name) != null
                        && deployment(namespace, name) != null);
    }

    @Test
    void aWaypointGatewayGetsItsServiceAccountServiceAndDeploymentOwnedByIt() {
        api().apply(waypoint("shop", "waypoint", "istio.io/waypoint-for: service"));
        startController();
        awaitObjects("shop", "waypoint");
        Gateway gateway = gateway("shop", "waypoint");

        ServiceAccount account = serviceAccount("shop", "waypoint");
        Service service = service("shop", "waypoint");
        Deployment deployment = deployment("shop", "waypoint");
        for (var object : List.of(account, service, deployment)) {
            assertThat(object.getMetadata().getLabels())
                    .as(object.getKind())
                    .containsEntry("gateway.networking.k8s.io/gateway-name", "waypoint")
                    .containsEntry("gateway.networking.k8s.io/gateway-class-name", "istio-waypoint")
                    .containsEntry("gateway.istio.io/managed", "istio.io-mesh-controller")
                    .containsEntry("istio.io/waypoint-for", "service");
            assertThat(object.getMetadata().getOwnerReferences())
                    .as(object.getKind())
                    .singleElement()
                    .satisfies(owner -> {
                        assertThat(owner.getApiVersion()).isEqualTo("gateway.networking.k8s.io/v1");
                        assertThat(owner.getKind()).isEqualTo("Gateway");
                        assertThat(owner.getName()).isEqualTo("waypoint");
                        assertThat(owner.getUid())
                                .isEqualTo(gateway.getMetadata().getUid());
                        assertThat(owner.getController()).isTrue();
                        assertThat(owner.getBlockOwnerDeletion()).isTrue();
                    });
        }

        assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(service.getSpec().getSelector())
                .containsExactly(Map.entry("gateway.networking.k8s.io/gateway-name", "waypoint"));
        assertThat(service.getSpec().getPorts())
                .extracting(ServicePort::getName, ServicePort::getPort, ServicePort::getProtocol)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("status-port", 15021, "TCP"),
                        org.assertj.core.groups.Tuple.tuple("mesh", 15008, "TCP"));

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
        assertThat(deployment.getSpec().getSelector().getMatchLabels())
                .containsExactly(Map.entry("gateway.networking.k8s.io/gateway-name", "waypoint"));
        var pod = deployment.getSpec().getTemplate();
        assertThat(pod.getMetadata().getLabels())
                .containsEntry("gateway.networking.k8s.io/gateway-name", "waypoint")
                .containsEntry("gateway.istio.io/managed", "istio.io-mesh-controller")
                .containsEntry("istio.io/dataplane-mode", "none")
                .containsEntry("sidecar.istio.io/inject", "false");
        assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("waypoint");
        assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        Container proxy = pod.getSpec().getContainers().getFirst();
        assertThat(proxy.getName()).isEqualTo("istio-proxy");
        assertThat(proxy.getImage()).isEqualTo("registry.test/ambient-java/waypoint:t1");
        assertThat(proxy.getArgs())
                .containsExactly(
                        "--xds-address=istiod.istio-system.svc:15012",
                        "--ca-address=istiod.istio-system.svc:15012",
                        "--istiod-root-cert=/var/run/secrets/istio/root-cert.pem",
                        "--token-file=/var/run/secrets/tokens/istio-token",
                        "--trust-domain=cluster.local",
                        "--namespace=shop",
                        "--gateway=waypoint",
                        "--service-account=waypoint",
                        "--pod-name=$(POD_NAME)",
                        "--pod-ip=$(INSTANCE_IP)",
                        "--admin-port=15000",
                        "--metrics-port=15020",
                        "--readiness-port=15021");
        assertThat(proxy.getEnv())
                .filteredOn(e -> e.getValueFrom() != null)
                .extracting(EnvVar::getName, e -> e.getValueFrom().getFieldRef().getFieldPath())
                .contains(
                        org.assertj.core.groups.Tuple.tuple("POD_NAME", "metadata.name"),
                        org.assertj.core.groups.Tuple.tuple("INSTANCE_IP", "status.podIP"));
        assertThat(proxy.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("JAVA_TOOL_OPTIONS");
            assertThat(e.getValue()).contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");
        });
        assertThat(proxy.getPorts())
                .extracting(p -> p.getContainerPort())
                .containsExactlyInAnyOrder(15008, 15020, 15021);
        assertThat(proxy.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz/ready");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString(15021));
        assertThat(proxy.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(proxy.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(proxy.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(proxy.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(proxy.getResources().getRequests())
                .containsEntry("cpu", new Quantity("100m"))
                .containsEntry("memory", new Quantity("128Mi"));
        assertThat(proxy.getResources().getLimits()).containsEntry("memory", new Quantity("512Mi"));
        List<Volume> volumes = pod.getSpec().getVolumes();
        assertThat(volumes)
                .filteredOn(v -> v.getProjected() != null)
                .singleElement()
                .satisfies(v -> {
                    var token = v.getProjected().getSources().getFirst().getServiceAccountToken();
                    assertThat(token.getAudience()).isEqualTo("istio-ca");
                    assertThat(token.getPath()).isEqualTo("istio-token");
                });
        assertThat(volumes)
                .filteredOn(v -> v.getConfigMap() != null)
                .singleElement()
                .satisfies(v -> assertThat(v.getConfigMap().getName()).isEqualTo("istio-ca-root-cert"));
        assertThat(proxy.getVolumeMounts())
                .extracting(m -> m.getMountPath())
                .contains("/var/run/secrets/tokens", "/var/run/secrets/istio", "/tmp");

        // No cluster IP yet (the mock allocates none): accepted, not programmed.
        await().atMost(WAIT).until(() -> conditionIs("shop", "waypoint", "Programmed", "False", "Pending"));
        assertThat(condition("shop", "waypoint", "Accepted"))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        assertThat(gateway("shop", "waypoint").getStatus().getAddresses()).isEmpty();
    }

    @Test
    void theStatusGetsTheServiceAddressAndTheTranslationFindsTheWaypointByIt() {
        api().apply(waypoint("shop", "waypoint", ""));
        startController();
        awaitObjects("shop", "waypoint");
        allocateClusterIp("shop", "waypoint", "198.19.0.10");

        await().atMost(WAIT).until(() -> conditionIs("shop", "waypoint", "Programmed", "True", "Programmed"));
        Gateway gateway = gateway("shop", "waypoint");
        GatewayStatus status = gateway.getStatus();
        assertThat(status.getAddresses())
                .extracting(GatewayStatusAddress::getType, GatewayStatusAddress::getValue)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("IPAddress", "198.19.0.10"),
                        org.assertj.core.groups.Tuple.tuple("Hostname", "waypoint.shop.svc.cluster.local"));
        assertThat(status.getConditions()).extracting(Condition::getType).containsExactly("Accepted", "Programmed");
        for (Condition condition : status.getConditions()) {
            assertThat(condition.getObservedGeneration())
                    .isEqualTo(gateway.getMetadata().getGeneration());
            assertThat(condition.getLastTransitionTime()).isNotBlank();
        }
        assertThat(status.getConditions().get(1).getMessage())
                .isEqualTo("Resource programmed, assigned to service(s) waypoint.shop.svc.cluster.local:15008");

        // The translation takes the address from the status: even without the Service in the snapshot.
        await().atMost(WAIT)
                .until(() -> source.current()
                        .get(ResourceKind.GATEWAY, "shop", "waypoint", Gateway.class)
                        .map(g -> g.getStatus() != null
                                && !g.getStatus().getAddresses().isEmpty())
                        .orElse(false));
        ConfigSnapshot current = source.current();
        List<ConfigResource> withoutService =
                new ArrayList<>(current.resources().values());
        withoutService.removeIf(r -> r.key().kind() == ResourceKind.SERVICE);
        WaypointIndex index =
                new WaypointIndex(ConfigSnapshot.of(current.generation(), withoutService), MeshSettings.defaults());
        assertThat(index.all()).singleElement().satisfies(w -> {
            assertThat(w.key()).isEqualTo("shop/waypoint");
            assertThat(w.trafficType()).isEqualTo("service");
            assertThat(w.address().getHboneMtlsPort()).isEqualTo(15008);
            try {
                assertThat(InetAddress.getByAddress(
                                w.address().getAddress().getAddress().toByteArray()))
                        .isEqualTo(InetAddress.getByName("198.19.0.10"));
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void theStatusIsNotRewrittenWhenNothingChanged() {
        api().apply(waypoint("shop", "waypoint", ""));
        startController();
        awaitObjects("shop", "waypoint");
        allocateClusterIp("shop", "waypoint", "198.19.0.11");
        await().atMost(WAIT).until(() -> conditionIs("shop", "waypoint", "Programmed", "True", "Programmed"));
        // let the snapshot with the written status arrive and its round run
        await().atMost(WAIT)
                .until(() -> source.current()
                        .get(ResourceKind.GATEWAY, "shop", "waypoint", Gateway.class)
                        .map(g -> g.getStatus() != null
                                && !g.getStatus().getAddresses().isEmpty())
                        .orElse(false));
        assertThat(deployments.reconcileNow(ROUND)).isTrue();

        Gateway before = gateway("shop", "waypoint");
        long statusWrites = deployments.statusWrites();
        long objectWrites = deployments.objectWrites();
        for (int i = 0; i < 3; i++) {
            assertThat(deployments.reconcileNow(ROUND)).isTrue();
        }
        Gateway after = gateway("shop", "waypoint");
        assertThat(deployments.statusWrites()).isEqualTo(statusWrites);
        assertThat(deployments.objectWrites()).isEqualTo(objectWrites);
        assertThat(after.getMetadata().getResourceVersion())
                .isEqualTo(before.getMetadata().getResourceVersion());
        assertThat(after.getStatus().getConditions())
                .extracting(Condition::getLastTransitionTime)
                .isEqualTo(before.getStatus().getConditions().stream()
                        .map(Condition::getLastTransitionTime)
                        .toList());
    }

    @Test
    void fieldsTheApiServerDefaultsAreNotFought() {
        api().apply(waypoint("shop", "waypoint", ""));
        startController();
        awaitObjects("shop", "waypoint");
        // What a real API server adds to what was created.
        Service service = service("shop", "waypoint");
        service.getSpec().setSessionAffinity("None");
        service.getSpec().setIpFamilies(List.of("IPv4"));
        service.getSpec().setIpFamilyPolicy("SingleStack");
        admin.services().inNamespace("shop").resource(service).update();
        allocateClusterIp("shop", "waypoint", "198.19.0.12");
        Deployment deployment = deployment("shop", "waypoint");
        deployment.getSpec().setRevisionHistoryLimit(10);
        deployment.getSpec().setProgressDeadlineSeconds(600);
        var podSpec = deployment.getSpec().getTemplate().getSpec();
        podSpec.setDnsPolicy("ClusterFirst");
        podSpec.setRestartPolicy("Always");
        podSpec.setSchedulerName("default-scheduler");
        podSpec.setTerminationGracePeriodSeconds(30L);
        podSpec.getContainers().getFirst().setTerminationMessagePath("/dev/termination-log");
        podSpec.getContainers().getFirst().getReadinessProbe().setSuccessThreshold(1);
        podSpec.getContainers()
                .getFirst()
                .getEnv()
                .getFirst()
                .getValueFrom()
                .getFieldRef()
                .setApiVersion("v1");
        admin.apps().deployments().inNamespace("shop").resource(deployment).update();
        // and someone scaled the waypoint
        admin.apps().deployments().inNamespace("shop").withName("waypoint").scale(2);
        await().atMost(WAIT).until(() -> conditionIs("shop", "waypoint", "Programmed", "True", "Programmed"));

        long writes = deployments.objectWrites();
        assertThat(deployments.reconcileNow(ROUND)).isTrue();
        assertThat(deployments.objectWrites()).isEqualTo(writes);
        assertThat(deployment("shop", "waypoint").getSpec().getReplicas()).isEqualTo(2);

        // a hand edit of the waypoint's image is put back; the replica count stays
        Deployment edited = deployment("shop", "waypoint");
        edited.getSpec().getTemplate().getSpec().getContainers().getFirst().setImage("elsewhere/waypoint:old");
        admin.apps().deployments().inNamespace("shop").resource(edited).update();
        assertThat(deployments.reconcileNow(ROUND)).isTrue();
        Deployment restored = deployment("shop", "waypoint");
        assertThat(restored.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .getFirst()
                        .getImage())
                .isEqualTo("registry.test/ambient-java/waypoint:t1");
        assertThat(restored.getSpec().getReplicas()).isEqualTo(2);
    }

    @Test
    void aChangedWaypointForLabelUpdatesTheService() {
        api().apply(waypoint("shop", "waypoint", "istio.io/waypoint-for: service"));
        startController();
        awaitObjects("shop", "waypoint");
        Service service = service("shop", "waypoint");
        service.getMetadata().getLabels().put("team", "payments"); // somebody else's label stays
        admin.services().inNamespace("shop").resource(service).update();

        api().apply(waypoint("shop", "waypoint", "istio.io/waypoint-for: all"));
        await().atMost(WAIT)
                .until(() -> "all"
                        .equals(service("shop", "waypoint")
                                .getMetadata()
                                .getLabels()
                                .get("istio.io/waypoint-for")));
        await().atMost(WAIT)
                .until(() -> "all"
                        .equals(serviceAccount("shop", "waypoint")
                                .getMetadata()
                                .getLabels()
                                .get("istio.io/waypoint-for")));
        assertThat(service("shop", "waypoint").getMetadata().getLabels()).containsEntry("team", "payments");

        api().apply(waypoint("shop", "waypoint", ""));
        await().atMost(WAIT)
                .until(() ->
                        !service("shop", "waypoint").getMetadata().getLabels().containsKey("istio.io/waypoint-for"));
        assertThat(service("shop", "waypoint").getMetadata().getLabels())
                .containsEntry("team", "payments")
                .containsEntry("gateway.istio.io/managed", "istio.io-mesh-controller");
    }

    @Test
    void anObjectOfTheNameNotOwnedByTheGatewayIsLeftAloneAndTheStatusSaysWhy() {
        api().apply("""
                apiVersion: v1
                kind: Service
                metadata: {name: waypoint, namespace: shop, labels: {app: legacy}}
                spec:
                  selector: {app: legacy}
                  ports: [{name: http, port: 80, targetPort: 8080}]
                """);
        String before = service("shop", "waypoint").getMetadata().getResourceVersion();
        api().apply(waypoint("shop", "waypoint", ""));
        startController();

        await().atMost(WAIT).until(() -> conditionIs("shop", "waypoint", "Programmed", "False", "Invalid"));
        assertThat(condition("shop", "waypoint", "Programmed").orElseThrow().getMessage())
                .contains("Service shop/waypoint exists and is not owned by this Gateway")
                .contains("leaves it alone");
        assertThat(gateway("shop", "waypoint").getStatus().getAddresses()).isEmpty();
        Service untouched = service("shop", "waypoint");
        assertThat(untouched.getMetadata().getResourceVersion()).isEqualTo(before);
        assertThat(untouched.getMetadata().getOwnerReferences()).isEmpty();
        assertThat(untouched.getSpec().getSelector()).containsExactly(Map.entry("app", "legacy"));
        // the others are deployed
        assertThat(serviceAccount("shop", "waypoint")).isNotNull();
        assertThat(deployment("shop", "waypoint")).isNotNull();

        // once the old Service is gone, the waypoint gets its own
        admin.services().inNamespace("shop").withName("waypoint").delete();
        await().atMost(WAIT)
                .until(() -> Optional.ofNullable(service("shop", "waypoint"))
                        .map(s -> WaypointDeployments.ownedBy(s, gateway("shop", "waypoint")))
                        .orElse(false));
        allocateClusterIp("shop", "waypoint", "198.19.0.13");
        await().atMost(WAIT).until(() -> conditionIs("shop", "waypoint", "Programmed", "True", "Programmed"));
    }

    @Test
    void anIngressGatewayGetsNothing() {
        api().apply("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: edge, namespace: shop}
                spec:
                  gatewayClassName: istio
                  listeners:
                  - {name: http, port: 80, protocol: HTTP}
                """);
        api().apply(waypoint("shop", "waypoint", ""));
        startController();
        awaitObjects("shop", "waypoint");
        assertThat(source.current().get(ResourceKind.GATEWAY, "shop", "edge", Gateway.class))
                .isPresent();
        assertThat(deployments.reconcileNow(ROUND)).isTrue();

        assertThat(serviceAccount("shop", "edge")).isNull();
        assertThat(service("shop", "edge")).isNull();
        assertThat(deployment("shop", "edge")).isNull();
        assertThat(gateway("shop", "edge").getStatus())
                .satisfiesAnyOf(
                        s -> assertThat(s).isNull(),
                        s -> assertThat(s.getConditions()).isEmpty());
    }

    @Test
    void aListenerThatIsNotHboneOn15008IsNotAccepted() {
        api().apply("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: odd, namespace: shop}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners:
                  - {name: web, port: 8080, protocol: HTTP}
                """);
        startController();
        await().atMost(WAIT).until(() -> conditionIs("shop", "odd", "Accepted", "False", "InvalidParameters"));
        assertThat(condition("shop", "odd", "Accepted").orElseThrow().getMessage())
                .contains("listener 'web' is HTTP on port 8080")
                .contains("HBONE on port 15008");
    }

    @Test
    void aFailedCallIsRetriedAndDoesNotStopTheOthers() {
        // the first ServiceAccount create in alpha fails; the first status write in beta meets a conflict
        api().server()
                .expect()
                .post()
                .withPath("/api/v1/namespaces/alpha/serviceaccounts")
                .andReturn(500, "{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd is having a moment\"}")
                .once();
        api().server()
                .expect()
                .put()
                .withPath("/apis/gateway.networking.k8s.io/v1/namespaces/beta/gateways/waypoint/status")
                .andReturn(409, "{\"kind\":\"Status\",\"code\":409,\"reason\":\"Conflict\",\"message\":\"stale\"}")
                .once();
        api().apply(waypoint("alpha", "waypoint", ""));
        api().apply(waypoint("beta", "waypoint", ""));
        startController();

        // alpha's Service and Deployment and all of beta did not wait for the failed call
        await().atMost(WAIT)
                .until(() -> service("alpha", "waypoint") != null && deployment("alpha", "waypoint") != null);
        awaitObjects("beta", "waypoint");
        // retried: alpha gets its ServiceAccount, beta its status
        awaitObjects("alpha", "waypoint");
        await().atMost(WAIT).until(() -> conditionIs("beta", "waypoint", "Programmed", "False", "Pending"));
        await().atMost(WAIT).until(() -> conditionIs("alpha", "waypoint", "Programmed", "False", "Pending"));
        assertThat(deployments.failedCalls()).isGreaterThanOrEqualTo(2);
        List<OwnerReference> owners =
                serviceAccount("alpha", "waypoint").getMetadata().getOwnerReferences();
        assertThat(owners)
                .singleElement()
                .satisfies(o -> assertThat(o.getUid())
                        .isEqualTo(gateway("alpha", "waypoint").getMetadata().getUid()));
    }

    @Test
    void aCallThatFailsAgainInItsRetryIsRetriedAgain() {
        // the retry round fails as well: the next retry must not wait for the periodic resync (10 min here)
        api().server()
                .expect()
                .post()
                .withPath("/api/v1/namespaces/alpha/serviceaccounts")
                .andReturn(500, "{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd is having a moment\"}")
                .times(3);
        api().apply(waypoint("alpha", "waypoint", ""));
        startController();
        awaitObjects("alpha", "waypoint");
        assertThat(deployments.failedCalls()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aForbiddenCallIsLoggedAndTheRoundGoesOn() {
        api().server()
                .expect()
                .get()
                .withPath("/apis/apps/v1/namespaces/alpha/deployments/waypoint")
                .andReturn(403, "{\"kind\":\"Status\",\"code\":403,\"reason\":\"Forbidden\",\"message\":\"no\"}")
                .always();
        api().apply(waypoint("alpha", "waypoint", ""));
        api().apply(waypoint("beta", "waypoint", ""));
        startController();
        awaitObjects("beta", "waypoint");
        await().atMost(WAIT).until(() -> conditionIs("beta", "waypoint", "Programmed", "False", "Pending"));
        assertThat(deployments.reconcileNow(ROUND)).isFalse();
        assertThat(admin.apps().deployments().inNamespace("alpha").list().getItems())
                .isEmpty();
        // no status while a call for the waypoint fails: it would be a guess
        assertThat(gateway("alpha", "waypoint").getStatus())
                .satisfiesAnyOf(
                        s -> assertThat(s).isNull(),
                        s -> assertThat(s.getConditions()).isEmpty());
    }
}
