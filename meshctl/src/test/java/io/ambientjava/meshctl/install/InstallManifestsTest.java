package io.ambientjava.meshctl.install;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.kubernetes.WatchedKind;
import io.ambientjava.istiod.deploy.RootCertificatePublisher;
import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlRun;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes install in deploy/daemonset: every object parses into fabric8's typed model, the security-relevant
 * fields are what the design promises, and rendering is deterministic and the same from disk and from the jar.
 */
class InstallManifestsTest {

    static final Path DEPLOY = Path.of("../deploy/daemonset");

    static List<HasMetadata> rendered(String overlay) {
        String yaml = new KustomizeRenderer(ManifestTree.folder(DEPLOY)).renderYaml(overlay);
        return Serialization.unmarshal(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    }

    static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type, String name) {
        return objects.stream()
                .filter(type::isInstance)
                .map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/kind", "overlays/production"})
    void everyObjectParsesIntoATypedModel(String folder) {
        List<HasMetadata> objects = rendered(folder);
        assertThat(objects).hasSizeGreaterThan(20);
        assertThat(objects).noneMatch(o -> o instanceof GenericKubernetesResource);
        Map<String, Long> kinds =
                objects.stream().collect(Collectors.groupingBy(HasMetadata::getKind, Collectors.counting()));
        assertThat(kinds)
                .containsEntry("DaemonSet", 2L)
                .containsEntry("Deployment", 1L)
                .containsEntry("ValidatingWebhookConfiguration", 1L)
                .containsKeys("CustomResourceDefinition", "ClusterRole", "Service", "ServiceAccount", "Namespace");
        // Namespace first, webhook last: apply order.
        assertThat(objects.getFirst().getKind()).isEqualTo("Namespace");
        assertThat(objects.getLast().getKind()).isEqualTo("ValidatingWebhookConfiguration");
    }

    @Test
    void theZtunnelRunsTheJvmTheBenchmarksMeasuredSizedToItsLimit() throws Exception {
        Container proxy = only(rendered("base"), DaemonSet.class, "ztunnel")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .getFirst();
        Map<String, String> env = proxy.getEnv().stream()
                .filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
        assertThat(env).containsEntry("MALLOC_ARENA_MAX", "2");
        long limit = Quantity.getAmountInBytes(proxy.getResources().getLimits().get("memory"))
                .longValueExact();

        // JAVA_TOOL_OPTIONS is read by the JVM itself: an option this JDK refuses would stop every node's ztunnel.
        // -XX:MaxRAM stands in for the container's memory limit, which the JVM reads the same way.
        ProcessBuilder builder = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:MaxRAM=" + limit,
                        "-XX:+PrintFlagsFinal",
                        "-version")
                .redirectErrorStream(true);
        builder.environment().put("JAVA_TOOL_OPTIONS", env.get("JAVA_TOOL_OPTIONS"));
        Process jvm = builder.start();
        String flags = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jvm.waitFor()).as(flags).isZero();

        assertThat(flag(flags, "InitialHeapSize")).isEqualTo(24L << 20);
        assertThat(flag(flags, "MaxHeapSize")).isEqualTo(limit / 2);
        assertThat(flag(flags, "NewSize")).isEqualTo(6L << 20);
        assertThat(flag(flags, "SurvivorRatio")).isEqualTo(2L);
        assertThat(flag(flags, "UseSerialGC")).isEqualTo(1L);
        assertThat(flag(flags, "TieredCompilation")).isZero();
        assertThat(flag(flags, "TrimNativeHeapInterval")).isEqualTo(2000L);
    }

    private static long flag(String printFlagsFinal, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s" + name + "\\s+=\\s+(\\S+)")
                .matcher(printFlagsFinal);
        assertThat(m.find()).as(name + " in -XX:+PrintFlagsFinal").isTrue();
        return switch (m.group(1)) {
            case "true" -> 1L;
            case "false" -> 0L;
            default -> Long.parseLong(m.group(1));
        };
    }

    @Test
    void crdsCoverWhatTheMeshReadsWithUpstreamVersions() {
        Map<String, CustomResourceDefinition> crds = rendered("base").stream()
                .filter(CustomResourceDefinition.class::isInstance)
                .map(CustomResourceDefinition.class::cast)
                .collect(Collectors.toMap(c -> c.getMetadata().getName(), Function.identity()));
        assertThat(crds)
                .containsKeys(
                        "virtualservices.networking.istio.io",
                        "destinationrules.networking.istio.io",
                        "gateways.networking.istio.io",
                        "serviceentries.networking.istio.io",
                        "envoyfilters.networking.istio.io",
                        "authorizationpolicies.security.istio.io",
                        "peerauthentications.security.istio.io",
                        "requestauthentications.security.istio.io",
                        "telemetries.telemetry.istio.io",
                        "gateways.gateway.networking.k8s.io",
                        "gatewayclasses.gateway.networking.k8s.io",
                        "httproutes.gateway.networking.k8s.io");
        for (CustomResourceDefinition crd : crds.values()) {
            assertThat(crd.getSpec().getVersions())
                    .as(crd.getMetadata().getName())
                    .allSatisfy(
                            v -> assertThat(v.getSchema().getOpenAPIV3Schema()).isNotNull());
            assertThat(crd.getSpec().getVersions().stream().filter(v -> v.getStorage()))
                    .as(crd.getMetadata().getName() + " has one storage version")
                    .hasSize(1);
        }
        assertThat(versions(crds.get("virtualservices.networking.istio.io")))
                .containsExactly("v1alpha3", "v1beta1", "v1");
        assertThat(versions(crds.get("authorizationpolicies.security.istio.io")))
                .containsExactly("v1beta1", "v1");
        assertThat(versions(crds.get("telemetries.telemetry.istio.io"))).containsExactly("v1alpha1", "v1");
        assertThat(versions(crds.get("gateways.gateway.networking.k8s.io"))).containsExactly("v1", "v1beta1");
        assertThat(crds.get("gatewayclasses.gateway.networking.k8s.io")
                        .getSpec()
                        .getScope())
                .isEqualTo("Cluster");
    }

    private static List<String> versions(CustomResourceDefinition crd) {
        return crd.getSpec().getVersions().stream().map(v -> v.getName()).toList();
    }

    @Test
    void ztunnelIsNotPrivilegedAndHasWhatItNeeds() {
        DaemonSet ztunnel = only(rendered("base"), DaemonSet.class, "ztunnel");
        PodSpec pod = ztunnel.getSpec().getTemplate().getSpec();
        assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
        assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        Container proxy = pod.getContainers().getFirst();
        var security = proxy.getSecurityContext();
        assertThat(security.getPrivileged()).isFalse();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getCapabilities().getAdd()).containsExactlyInAnyOrder("NET_ADMIN", "SYS_ADMIN", "NET_RAW");
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(hostPaths(pod)).containsOnlyKeys("/var/run/ztunnel", "/var/run/netns");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz/ready");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
        assertThat(proxy.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(proxy.getResources().getLimits()).containsKeys("cpu", "memory");
        Volume token = pod.getVolumes().stream()
                .filter(v -> v.getProjected() != null)
                .findFirst()
                .orElseThrow();
        var serviceAccountToken = token.getProjected().getSources().getFirst().getServiceAccountToken();
        assertThat(serviceAccountToken.getAudience()).isEqualTo("istio-ca");
        assertThat(proxy.getVolumeMounts())
                .anySatisfy(m -> assertThat(m.getName()).isEqualTo(token.getName()));
    }

    @Test
    void nodeAgentInstallsTheCniPluginAndCleansUp() {
        DaemonSet agent = only(rendered("base"), DaemonSet.class, "node-agent");
        PodSpec pod = agent.getSpec().getTemplate().getSpec();
        assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
        assertThat(hostPaths(pod))
                .containsKeys("/opt/cni/bin", "/etc/cni/net.d", "/sys/fs/bpf", "/var/run/ztunnel", "/var/run/netns");
        Container container = pod.getContainers().getFirst();
        assertThat(container.getSecurityContext().getPrivileged()).isFalse();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).containsKey("memory");
        assertThat(container.getLifecycle().getPreStop().getExec().getCommand())
                .containsSequence("/app/bin/node-agent", "uninstall");
        assertThat(container.getArgs()).contains("--in-cluster", "--host-proc=/host/proc");
        assertThat(container.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("NODE_NAME"));
        Container install = pod.getInitContainers().getFirst();
        assertThat(install.getCommand()).containsSequence("/app/bin/node-agent", "install");
        // The native launcher forwards the CNI call to the agent: no JVM on the node, no JVM start per pod.
        assertThat(install.getCommand()).contains("--launcher=NATIVE");
        assertThat(install.getSecurityContext().getPrivileged()).isFalse();
        assertThat(install.getVolumeMounts())
                .extracting(m -> m.getMountPath())
                .contains("/opt/cni/bin", "/etc/cni/net.d");
        assertThat(container.getVolumeMounts())
                .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/sys/fs/bpf"));
    }

    @Test
    void istiodServesItsPortsWithLeastPrivilege() {
        List<HasMetadata> objects = rendered("base");
        Deployment istiod = only(objects, Deployment.class, "istiod");
        Container discovery =
                istiod.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(discovery.getPorts().stream().map(p -> p.getContainerPort()))
                .containsExactlyInAnyOrder(15010, 15012, 15014, 15017);
        assertThat(discovery.getSecurityContext().getPrivileged()).isFalse();
        assertThat(discovery.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(istiod.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot())
                .isTrue();
        assertThat(discovery.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(discovery.getReadinessProbe()).isNotNull();

        var service = only(objects, io.fabric8.kubernetes.api.model.Service.class, "istiod");
        assertThat(service.getSpec().getPorts().stream().map(p -> p.getPort())).contains(15010, 15012, 15014, 15017);

        ClusterRole role = only(objects, ClusterRole.class, "istiod-lite");
        for (PolicyRule rule : role.getRules()) {
            assertThat(rule.getVerbs()).doesNotContain("*", "delete", "deletecollection");
            assertThat(rule.getResources()).doesNotContain("*");
            if (rule.getResources().contains("secrets")) { // the gateways' certificates, read only
                assertThat(rule.getApiGroups()).containsExactly("");
                assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
            }
        }
        assertThat(role.getRules()).anySatisfy(r -> {
            assertThat(r.getResources()).containsExactly("tokenreviews");
            assertThat(r.getVerbs()).containsExactly("create");
        });
        assertThat(role.getRules())
                .filteredOn(r -> r.getApiGroups().contains("security.istio.io"))
                .singleElement()
                .satisfies(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch"));

        ValidatingWebhookConfiguration webhook =
                only(objects, ValidatingWebhookConfiguration.class, "istio-validator-istio-system");
        var hook = webhook.getWebhooks().getFirst();
        assertThat(hook.getClientConfig().getService().getPort()).isEqualTo(15017);
        assertThat(hook.getSideEffects()).isEqualTo("None");
        assertThat(hook.getRules().getFirst().getApiGroups())
                .contains("security.istio.io", "networking.istio.io", "telemetry.istio.io");
    }

    @Test
    void istiodRunsOnTheKubernetesSourceAndItsRbacCoversWhatItWatchesAndWrites() {
        List<HasMetadata> objects = rendered("base");
        Container discovery = only(objects, Deployment.class, "istiod")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .getFirst();
        // The Kubernetes source: informers, TokenReview authentication of CA callers, the waypoint deployment
        // controller and the root certificate publisher all need it; a folder of YAML would turn them all off.
        assertThat(discovery.getArgs()).contains("--in-cluster", "--ca-dir=/etc/cacerts");
        assertThat(discovery.getArgs()).noneMatch(a -> a.startsWith("--config-dir") || a.startsWith("--kubeconfig"));
        assertThat(discovery.getArgs())
                .noneMatch(a -> a.startsWith("--publish-root-cert=false") || a.startsWith("--deploy-waypoints=false"));
        assertThat(objects)
                .noneMatch(o -> o.getKind().equals("ConfigMap")
                        && o.getMetadata().getName().equals("istiod-lite-config"));

        ClusterRole role = only(objects, ClusterRole.class, "istiod-lite");
        for (WatchedKind watched : WatchedKind.all()) {
            assertThat(role.getRules())
                    .as("list/watch of " + watched.listPath())
                    .anySatisfy(r -> {
                        assertThat(r.getApiGroups()).contains(watched.kind().group());
                        assertThat(r.getResources()).contains(watched.plural());
                        assertThat(r.getResourceNames()).isNullOrEmpty();
                        assertThat(r.getVerbs()).contains("get", "list", "watch");
                    });
        }
        // the root certificate publisher: create (RBAC cannot name what is created), update of its ConfigMap only
        assertThat(role.getRules())
                .filteredOn(r -> r.getResources().contains("configmaps"))
                .allSatisfy(r -> assertThat(r.getApiGroups()).containsExactly(""))
                .anySatisfy(r -> {
                    assertThat(r.getVerbs()).containsExactly("create");
                    assertThat(r.getResourceNames()).isNullOrEmpty();
                })
                .anySatisfy(r -> {
                    assertThat(r.getVerbs()).containsExactly("update");
                    assertThat(r.getResourceNames()).containsExactly(RootCertificatePublisher.CONFIG_MAP);
                })
                .noneSatisfy(r -> {
                    assertThat(r.getVerbs()).contains("update");
                    assertThat(r.getResourceNames()).isNullOrEmpty();
                });
    }

    @Test
    void istiodTakesAPluggedInCaFromTheCacertsSecretAndElectsItsControllersOnLeases() {
        List<HasMetadata> objects = rendered("base");
        var pod = only(objects, Deployment.class, "istiod")
                .getSpec()
                .getTemplate()
                .getSpec();
        var cacerts = pod.getVolumes().stream()
                .filter(v -> v.getName().equals("cacerts"))
                .findFirst()
                .orElseThrow();
        assertThat(cacerts.getSecret().getSecretName()).isEqualTo("cacerts");
        assertThat(cacerts.getSecret().getOptional()).isTrue();
        assertThat(pod.getContainers().getFirst().getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("cacerts");
            assertThat(m.getMountPath()).isEqualTo("/etc/cacerts");
            assertThat(m.getReadOnly()).isTrue();
        });

        var role = only(objects, io.fabric8.kubernetes.api.model.rbac.Role.class, "istiod-lite");
        assertThat(role.getMetadata().getNamespace()).isEqualTo("istio-system");
        assertThat(role.getRules())
                .filteredOn(r -> r.getResources().contains("leases"))
                .allSatisfy(r -> assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io"))
                .anySatisfy(r -> {
                    assertThat(r.getVerbs()).containsExactly("create");
                    assertThat(r.getResourceNames()).isNullOrEmpty();
                })
                .anySatisfy(r -> {
                    assertThat(r.getVerbs()).containsExactly("get", "update");
                    assertThat(r.getResourceNames())
                            .containsExactlyInAnyOrder(
                                    "istio-namespace-controller-election",
                                    "istio-validation-controller-election",
                                    "istio-gateway-deployment-default");
                });
    }

    @Test
    void overlaysPatchWhatTheySay() {
        DaemonSet kindZtunnel = only(rendered("overlays/kind"), DaemonSet.class, "ztunnel");
        Container proxy =
                kindZtunnel.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(proxy.getImage()).isEqualTo("ambient-java/ztunnel:dev");
        assertThat(proxy.getResources().getRequests()).containsEntry("cpu", new Quantity("50m"));
        // The patch merged into the container: limits and everything else stayed.
        assertThat(proxy.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(proxy.getSecurityContext().getCapabilities().getAdd()).contains("NET_ADMIN");

        List<HasMetadata> production = rendered("overlays/production");
        Deployment istiod = only(production, Deployment.class, "istiod");
        assertThat(istiod.getSpec().getReplicas()).isEqualTo(2);
        assertThat(istiod.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity())
                .isNotNull();
        assertThat(istiod.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .getFirst()
                        .getImage())
                .isEqualTo("ambient-java/istiod-lite:latest");
        assertThat(production).anyMatch(o -> o.getKind().equals("PodDisruptionBudget"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "kind", "production"})
    void renderingIsDeterministicAndTheBundledCopyMatchesTheFolder(String overlay) {
        String[] fromJar = overlay.isEmpty()
                ? new String[] {"install", "--render"}
                : new String[] {"install", "--render", "--overlay", overlay};
        MeshctlRun first = MeshctlRun.of(fromJar);
        MeshctlRun second = MeshctlRun.of(fromJar);
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out().getBytes(StandardCharsets.UTF_8))
                .isEqualTo(second.out().getBytes(StandardCharsets.UTF_8));

        String[] fromDisk = java.util.stream.Stream.concat(
                        java.util.Arrays.stream(fromJar), java.util.stream.Stream.of("--manifests", DEPLOY.toString()))
                .toArray(String[]::new);
        assertThat(MeshctlRun.of(fromDisk).out()).isEqualTo(first.out());
    }

    @Test
    void unknownOverlayIsOneLine() {
        MeshctlRun run = MeshctlRun.of("install", "--render", "--overlay", "staging");
        assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.errLines())
                .containsExactly("meshctl: no overlay 'staging' in the manifests bundled in meshctl"
                        + " (there: overlays/<name>/kustomization.yaml)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/kind", "overlays/production"})
    void noContainerIsPrivilegedAndEveryOneIsBounded(String folder) {
        List<PodSpec> pods = new java.util.ArrayList<>();
        for (HasMetadata object : rendered(folder)) {
            if (object instanceof DaemonSet d) {
                pods.add(d.getSpec().getTemplate().getSpec());
            } else if (object instanceof Deployment d) {
                pods.add(d.getSpec().getTemplate().getSpec());
            }
        }
        assertThat(pods).hasSize(3);
        for (PodSpec pod : pods) {
            assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
            assertThat(pod.getHostIPC()).isNotEqualTo(Boolean.TRUE);
            List<Container> containers = new java.util.ArrayList<>(pod.getContainers());
            containers.addAll(pod.getInitContainers());
            for (Container container : containers) {
                var security = container.getSecurityContext();
                assertThat(security).as(container.getName()).isNotNull();
                assertThat(security.getPrivileged()).as(container.getName()).isFalse();
                assertThat(security.getAllowPrivilegeEscalation())
                        .as(container.getName())
                        .isFalse();
                assertThat(security.getCapabilities().getDrop())
                        .as(container.getName())
                        .containsExactly("ALL");
                assertThat(
                                security.getCapabilities().getAdd() == null
                                        ? List.<String>of()
                                        : security.getCapabilities().getAdd())
                        .as(container.getName())
                        .doesNotContain("ALL");
                assertThat(container.getResources().getRequests())
                        .as(container.getName())
                        .containsKeys("cpu", "memory");
                assertThat(container.getResources().getLimits())
                        .as(container.getName())
                        .containsKey("memory");
                assertThat(container.getVolumeMounts())
                        .as(container.getName() + ": Bidirectional propagation needs a privileged container")
                        .noneMatch(m -> "Bidirectional".equals(m.getMountPropagation()));
            }
        }
    }

    @Test
    void hubAndTagReplaceOnlyOurImages() {
        MeshctlRun run = MeshctlRun.of(
                "install", "--render", "--overlay", "kind", "--hub", "registry.local:5000/mesh", "--tag", "v9");
        assertThat(run.exit()).as(run.err()).isZero();
        List<HasMetadata> objects =
                Serialization.unmarshal(new ByteArrayInputStream(run.out().getBytes(StandardCharsets.UTF_8)));
        DaemonSet agent = only(objects, DaemonSet.class, "node-agent");
        assertThat(agent.getSpec()
                        .getTemplate()
                        .getSpec()
                        .getInitContainers()
                        .getFirst()
                        .getImage())
                .isEqualTo("registry.local:5000/mesh/node-agent:v9");
        assertThat(run.out())
                .doesNotContain("image: ambient-java/")
                .contains("image: registry.local:5000/mesh/ztunnel:v9");

        var onlyTag = new ImageOverrides(java.util.Optional.empty(), java.util.Optional.of("dev"));
        assertThat(onlyTag.rewrite("ambient-java/ztunnel:latest")).isEqualTo("ambient-java/ztunnel:dev");
        var onlyHub = new ImageOverrides(java.util.Optional.of("mirror.local/x"), java.util.Optional.empty());
        assertThat(onlyHub.rewrite("ambient-java/ztunnel@sha256:ab")).isEqualTo("mirror.local/x/ztunnel@sha256:ab");

        MeshctlRun bad = MeshctlRun.of("install", "--render", "--tag", "no spaces");
        assertThat(bad.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(bad.errLines())
                .containsExactly("meshctl: --tag 'no spaces' is not an image tag (letters, digits, '_', '.', '-')");
    }

    private static Map<String, Volume> hostPaths(PodSpec pod) {
        return pod.getVolumes().stream()
                .filter(v -> v.getHostPath() != null)
                .collect(Collectors.toMap(v -> v.getHostPath().getPath(), Function.identity()));
    }
}
