package io.ambientjava.istiod.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What istiod-lite deploys for a waypoint (a Gateway of class {@code istio-waypoint}), after Istio's waypoint
 * template: a ServiceAccount, a ClusterIP Service and a Deployment of the Java waypoint, all named after the
 * Gateway, in its namespace, labelled as Istio labels them and owned by the Gateway (so the garbage collector
 * deletes them with it). The waypoint reaches istiod-lite exactly as the ztunnel DaemonSet does: TLS xDS and CA on
 * istiod's port 15012, the mesh root from the {@code istio-ca-root-cert} ConfigMap, a projected service account
 * token with audience {@code istio-ca}.
 */
public final class WaypointTemplate {

    /**
     * The project version the default image is tagged with. A constant (the thin jar the images are built from has
     * no manifest version); {@code WaypointTemplateTest} fails when it drifts from the pom's.
     */
    public static final String PROJECT_VERSION = "0.1.0-SNAPSHOT";

    public static final String DEFAULT_IMAGE = "ambient-java/waypoint:" + PROJECT_VERSION;

    public static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
    public static final String GATEWAY_CLASS_LABEL = "gateway.networking.k8s.io/gateway-class-name";
    public static final String MANAGED_LABEL = "gateway.istio.io/managed";
    public static final String MESH_CONTROLLER = "istio.io-mesh-controller";
    public static final String WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";
    public static final String WAYPOINT_CLASS = "istio-waypoint";

    /** The labels istiod-lite sets on the objects it owns; any other label on them is left as found. */
    static final Set<String> MANAGED_LABEL_KEYS =
            Set.of(GATEWAY_NAME_LABEL, GATEWAY_CLASS_LABEL, MANAGED_LABEL, WAYPOINT_FOR_LABEL);

    /** Hash of the Deployment istiod-lite rendered last, so fields the API server defaults are never fought. */
    public static final String TEMPLATE_HASH_ANNOTATION = "ambient-java.io/waypoint-template-hash";

    public static final String CONTAINER = "istio-proxy";
    public static final int HBONE_PORT = 15008;
    public static final int METRICS_PORT = 15020;
    public static final int STATUS_PORT = 15021;
    public static final int ADMIN_PORT = 15000;

    static final String TOKEN_DIR = "/var/run/secrets/tokens";
    static final String ROOT_CERT_DIR = "/var/run/secrets/istio";
    static final String ROOT_CERT_CONFIG_MAP = "istio-ca-root-cert";

    /**
     * The waypoint's JVM, after the perf module's tuned waypoint options ({@code L7Command.WAYPOINT_JVM_OPTIONS}): a
     * young generation of 6 MiB with survivors large enough for the requests in flight, Serial GC, C2 only, the C heap
     * trimmed, capped metaspace/direct memory/code cache, small stacks, compact headers, one Netty arena each. The heap
     * may grow to 256 MiB (perf caps it at 48 MiB for a fixed benchmark; a cluster's config can be larger) and is given
     * back after collections, so an idle waypoint stays near the ~125 MiB resident measured there; exits on
     * OutOfMemoryError so Kubernetes restarts it.
     */
    public static final String JAVA_TOOL_OPTIONS = String.join(
            " ",
            "-Xms16m",
            "-Xmx256m",
            "-Xmn6m",
            "-XX:SurvivorRatio=2",
            "-XX:TargetSurvivorRatio=90",
            "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=20",
            "-XX:+UseSerialGC",
            "-XX:-TieredCompilation",
            "-XX:ReservedCodeCacheSize=32m",
            "-XX:TrimNativeHeapInterval=2000",
            "-XX:MaxMetaspaceSize=80m",
            "-XX:MaxDirectMemorySize=24m",
            "-Xss256k",
            "-XX:+UseCompactObjectHeaders",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dio.netty.allocator.numDirectArenas=1",
            "-Dio.netty.allocator.numHeapArenas=1",
            "-Dio.netty.leakDetection.level=disabled",
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .build();

    /**
     * What every waypoint gets.
     *
     * @param image the waypoint's container image
     * @param istiodAddress istiod-lite's TLS xDS and CA address as pods reach it ({@code istiod.istio-system.svc:15012})
     * @param trustDomain the mesh's trust domain
     * @param domainSuffix the cluster's DNS suffix ({@code cluster.local})
     */
    public record Settings(String image, String istiodAddress, String trustDomain, String domainSuffix) {
        public Settings {
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(istiodAddress, "istiodAddress");
            Objects.requireNonNull(trustDomain, "trustDomain");
            Objects.requireNonNull(domainSuffix, "domainSuffix");
        }
    }

    /** The three objects of one waypoint. */
    public record Rendered(ServiceAccount serviceAccount, Service service, Deployment deployment) {}

    private final Settings settings;

    public WaypointTemplate(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public Settings settings() {
        return settings;
    }

    /** The objects istiod-lite wants for {@code gateway}. */
    public Rendered render(Gateway gateway) {
        return new Rendered(serviceAccount(gateway), service(gateway), deployment(gateway));
    }

    /** The owner reference every object of the waypoint carries. */
    public static OwnerReference ownerReference(Gateway gateway) {
        return new OwnerReferenceBuilder()
                .withApiVersion("gateway.networking.k8s.io/v1")
                .withKind("Gateway")
                .withName(gateway.getMetadata().getName())
                .withUid(gateway.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    /** The labels of the ServiceAccount, Service and Deployment: Istio's, and the Gateway's waypoint-for. */
    static Map<String, String> objectLabels(Gateway gateway) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(GATEWAY_NAME_LABEL, gateway.getMetadata().getName());
        labels.put(GATEWAY_CLASS_LABEL, WAYPOINT_CLASS);
        labels.put(MANAGED_LABEL, MESH_CONTROLLER);
        Map<String, String> own = gateway.getMetadata().getLabels();
        if (own != null && own.get(WAYPOINT_FOR_LABEL) != null) {
            labels.put(WAYPOINT_FOR_LABEL, own.get(WAYPOINT_FOR_LABEL));
        }
        return labels;
    }

    private static ObjectMeta metadata(Gateway gateway) {
        return new ObjectMetaBuilder()
                .withName(gateway.getMetadata().getName())
                .withNamespace(gateway.getMetadata().getNamespace())
                .withLabels(objectLabels(gateway))
                .withOwnerReferences(ownerReference(gateway))
                .build();
    }

    ServiceAccount serviceAccount(Gateway gateway) {
        return new ServiceAccountBuilder().withMetadata(metadata(gateway)).build();
    }

    /** Istio's waypoint ports: status-port first, then mesh (HBONE). */
    static List<ServicePort> servicePorts() {
        return List.of(
                new ServicePortBuilder()
                        .withName("status-port")
                        .withPort(STATUS_PORT)
                        .withTargetPort(new IntOrString(STATUS_PORT))
                        .withProtocol("TCP")
                        .withAppProtocol("tcp")
                        .build(),
                new ServicePortBuilder()
                        .withName("mesh")
                        .withPort(HBONE_PORT)
                        .withTargetPort(new IntOrString(HBONE_PORT))
                        .withProtocol("TCP")
                        .withAppProtocol("all")
                        .build());
    }

    Service service(Gateway gateway) {
        return new ServiceBuilder()
                .withMetadata(metadata(gateway))
                .withNewSpec()
                .withType("ClusterIP")
                .withSelector(Map.of(GATEWAY_NAME_LABEL, gateway.getMetadata().getName()))
                .withPorts(servicePorts())
                .endSpec()
                .build();
    }

    Deployment deployment(Gateway gateway) {
        String name = gateway.getMetadata().getName();
        String namespace = gateway.getMetadata().getNamespace();
        Map<String, String> podLabels = new LinkedHashMap<>();
        podLabels.put(GATEWAY_NAME_LABEL, name);
        podLabels.put(GATEWAY_CLASS_LABEL, WAYPOINT_CLASS);
        podLabels.put(MANAGED_LABEL, MESH_CONTROLLER);
        podLabels.put("istio.io/dataplane-mode", "none");
        podLabels.put("sidecar.istio.io/inject", "false");
        podLabels.put("service.istio.io/canonical-name", name);
        podLabels.put("service.istio.io/canonical-revision", "latest");
        Map<String, String> podAnnotations = new LinkedHashMap<>();
        podAnnotations.put("prometheus.io/scrape", "true");
        podAnnotations.put("prometheus.io/port", Integer.toString(METRICS_PORT));
        podAnnotations.put("prometheus.io/path", "/stats/prometheus");
        Deployment deployment = new DeploymentBuilder()
                .withMetadata(metadata(gateway))
                .withNewSpec()
                .withReplicas(1)
                .withNewSelector()
                .withMatchLabels(Map.of(GATEWAY_NAME_LABEL, name))
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(podLabels)
                .withAnnotations(podAnnotations)
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName(name)
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(1337L)
                .withRunAsGroup(1337L)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .withContainers(container(namespace, name))
                .withVolumes(
                        new VolumeBuilder()
                                .withName("istio-token")
                                .withNewProjected()
                                .addNewSource()
                                .withNewServiceAccountToken()
                                .withAudience("istio-ca")
                                .withExpirationSeconds(43200L)
                                .withPath("istio-token")
                                .endServiceAccountToken()
                                .endSource()
                                .endProjected()
                                .build(),
                        // Required, as in Istio's waypoint template: the pod waits for the mesh root rather than
                        // starting without it.
                        new VolumeBuilder()
                                .withName("istiod-ca-cert")
                                .withNewConfigMap()
                                .withName(ROOT_CERT_CONFIG_MAP)
                                .endConfigMap()
                                .build(),
                        new VolumeBuilder()
                                .withName("tmp")
                                .withNewEmptyDir()
                                .endEmptyDir()
                                .build())
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
        deployment
                .getMetadata()
                .setAnnotations(new LinkedHashMap<>(Map.of(TEMPLATE_HASH_ANNOTATION, hash(deployment))));
        return deployment;
    }

    private Container container(String namespace, String name) {
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(settings.image())
                .withImagePullPolicy("IfNotPresent")
                .withArgs(args(namespace, name))
                .withEnv(
                        fieldEnv("POD_NAME", "metadata.name"),
                        fieldEnv("POD_NAMESPACE", "metadata.namespace"),
                        fieldEnv("INSTANCE_IP", "status.podIP"),
                        fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
                        new EnvVarBuilder()
                                .withName("JAVA_TOOL_OPTIONS")
                                .withValue(JAVA_TOOL_OPTIONS)
                                .build(),
                        new EnvVarBuilder()
                                .withName("MALLOC_ARENA_MAX")
                                .withValue("2")
                                .build())
                .addNewPort()
                .withName("mesh")
                .withContainerPort(HBONE_PORT)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("metrics")
                .withContainerPort(METRICS_PORT)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("status-port")
                .withContainerPort(STATUS_PORT)
                .withProtocol("TCP")
                .endPort()
                // ready once the first xDS config is applied (WaypointMain's /healthz/ready)
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/healthz/ready")
                .withPort(new IntOrString(STATUS_PORT))
                .endHttpGet()
                .withInitialDelaySeconds(1)
                .withPeriodSeconds(5)
                .withTimeoutSeconds(3)
                .withFailureThreshold(4)
                .endReadinessProbe()
                .withNewResources()
                .withRequests(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("128Mi")))
                .withLimits(Map.of("memory", new Quantity("512Mi")))
                .endResources()
                .withNewSecurityContext()
                .withPrivileged(false)
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withRunAsUser(1337L)
                .withRunAsGroup(1337L)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount()
                .withName("istio-token")
                .withMountPath(TOKEN_DIR)
                .withReadOnly(true)
                .endVolumeMount()
                .addNewVolumeMount()
                .withName("istiod-ca-cert")
                .withMountPath(ROOT_CERT_DIR)
                .withReadOnly(true)
                .endVolumeMount()
                .addNewVolumeMount()
                .withName("tmp")
                .withMountPath("/tmp")
                .endVolumeMount()
                .build();
    }

    /** WaypointMain's flags: to istiod-lite as ztunnel is wired, and who it is. */
    List<String> args(String namespace, String name) {
        return List.of(
                "--xds-address=" + settings.istiodAddress(),
                "--ca-address=" + settings.istiodAddress(),
                "--istiod-root-cert=" + ROOT_CERT_DIR + "/root-cert.pem",
                "--token-file=" + TOKEN_DIR + "/istio-token",
                "--trust-domain=" + settings.trustDomain(),
                "--namespace=" + namespace,
                "--gateway=" + name,
                "--service-account=" + name,
                "--pod-name=$(POD_NAME)",
                "--pod-ip=$(INSTANCE_IP)",
                "--admin-port=" + ADMIN_PORT,
                "--metrics-port=" + METRICS_PORT,
                "--readiness-port=" + STATUS_PORT);
    }

    private static EnvVar fieldEnv(String name, String path) {
        return new EnvVarBuilder()
                .withName(name)
                .withNewValueFrom()
                .withNewFieldRef()
                .withFieldPath(path)
                .endFieldRef()
                .endValueFrom()
                .build();
    }

    /** A short, stable hash of what istiod-lite renders for a Deployment (its labels and spec, not replicas). */
    static String hash(Deployment deployment) {
        Map<String, Object> rendered = new LinkedHashMap<>();
        rendered.put("labels", deployment.getMetadata().getLabels());
        rendered.put("selector", deployment.getSpec().getSelector());
        rendered.put("template", deployment.getSpec().getTemplate());
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(CANONICAL.writeValueAsString(rendered).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("hashing the waypoint Deployment", e);
        }
    }
}
