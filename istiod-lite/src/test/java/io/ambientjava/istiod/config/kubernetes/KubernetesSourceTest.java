package io.ambientjava.istiod.config.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.server.TranslationPipeline;
import io.ambientjava.istiod.testsupport.Configs;
import io.ambientjava.istiod.testsupport.MockApiServer;
import io.ambientjava.istiod.testsupport.SharedMockApiServer;
import io.ambientjava.istiod.translate.AmbientTranslator;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.xds.TypeUrls;
import io.ambientjava.istiod.xds.XdsCache;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Kubernetes source against fabric8's mock API server in CRUD mode. */
class KubernetesSourceTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final KubernetesSource.Options OPTIONS = KubernetesSource.Options.defaults()
            .withDebounce(Duration.ofMillis(30))
            .withInitialSyncTimeout(Duration.ofSeconds(10));
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final SharedMockApiServer API = new SharedMockApiServer();

    private static MockApiServer api() {
        return API.server();
    }

    private final AmbientTranslator translator = new AmbientTranslator(MeshSettings.defaults());

    @Test
    void localMeshExampleThroughTheApiServerTranslatesLikeTheFolder() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("examples/local-mesh"))) {
            for (Path file : files.sorted().toList()) {
                api().apply(Files.readString(file));
            }
        }
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS)) {
            assertThat(source.problems()).isEmpty();
            // the first snapshot already holds everything listed
            var translation = translator.translate(source.current());
            assertThat(translation.warnings()).isEmpty();
            assertThat(translation.addresses())
                    .containsOnlyKeys(
                            "Kubernetes//Pod/shop/frontend-0",
                            "Kubernetes//Pod/shop/web-0",
                            "Kubernetes//Pod/shop/web-1",
                            "shop/web.shop.svc.cluster.local");
            assertThat(translation.authorizations())
                    .containsOnlyKeys("istio-system/istio_converted_static_strict", "shop/web-from-frontend");
        }
    }

    @Test
    void everyKindIsCreatedUpdatedAndDeletedThroughTheApi() {
        Set<ResourceKind> covered = EnumSet.noneOf(ResourceKind.class);
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS)) {
            assertThat(source.current().resources()).isEmpty();
            for (String yaml : OneOfEachKind.DOCUMENTS) {
                GenericKubernetesResource created = api().apply(yaml).getFirst();
                ResourceKey key = keyOf(created);
                covered.add(key.kind());
                await().atMost(WAIT).until(() -> source.current().get(key).isPresent());

                created.getMetadata().getLabels().put("revision", "2");
                api().apply(created);
                await().atMost(WAIT)
                        .until(() -> source.current()
                                .get(key)
                                .map(r -> "2"
                                        .equals(r.object()
                                                .getMetadata()
                                                .getLabels()
                                                .get("revision")))
                                .orElse(false));

                api().delete(key.kind(), key.namespace(), key.name());
                await().atMost(WAIT).until(() -> source.current().get(key).isEmpty());
                assertThat(source.problems()).as("problems after %s", key).isEmpty();
            }
        }
        assertThat(covered).containsExactlyInAnyOrder(ResourceKind.values());
    }

    /**
     * As Istio: gateway credentials may be TLS or generic Secrets (Istio's MUTUAL how-to makes a generic one with
     * ca.crt); Helm release records and service account tokens are never read.
     */
    @Test
    void secretsAreReadButHelmReleasesAndServiceAccountTokens() {
        api().apply("""
                apiVersion: v1
                kind: Secret
                metadata: {name: edge-cert, namespace: shop}
                type: kubernetes.io/tls
                data: {tls.crt: LS0tLS0=, tls.key: LS0tLS0=}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: edge-cert-cacert, namespace: shop}
                type: Opaque
                data: {ca.crt: LS0tLS0=}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: sh.helm.release.v1.shop.v1, namespace: shop}
                type: helm.sh/release.v1
                data: {release: aHVudGVyMg==}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: builder-token, namespace: shop, annotations: {kubernetes.io/service-account.name: builder}}
                type: kubernetes.io/service-account-token
                data: {token: aHVudGVyMg==}
                """);
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS)) {
            assertThat(source.current().all(ResourceKind.SECRET))
                    .extracting(r -> r.key().name())
                    .containsExactlyInAnyOrder("edge-cert", "edge-cert-cacert");
        }
    }

    @Test
    void translatedWorkloadXdsFollowsTheApiServer() {
        api().apply(Configs.join(
                Configs.ambientNamespace("shop"),
                Configs.pod("shop", "web-0", "198.18.1.10", "web", "node-a", "app=web"),
                """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  clusterIP: 198.19.0.10
                  selector: {app: web}
                  ports: [{name: http, port: 80, targetPort: 8080}]
                """));
        XdsCache cache = new XdsCache();
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS);
                TranslationPipeline pipeline =
                        new TranslationPipeline(source, translator, cache, Duration.ofMillis(20)).start()) {
            assertThat(cache.current().of(TypeUrls.ADDRESS))
                    .containsOnlyKeys("Kubernetes//Pod/shop/web-0", "shop/web.shop.svc.cluster.local");
            String firstVersion = cache.current()
                    .of(TypeUrls.ADDRESS)
                    .get("Kubernetes//Pod/shop/web-0")
                    .version();

            api().apply(Configs.pod("shop", "web-1", "198.18.1.11", "web", "node-b", "app=web"));
            await().atMost(WAIT)
                    .until(() -> cache.current().of(TypeUrls.ADDRESS).containsKey("Kubernetes//Pod/shop/web-1"));

            api().apply(Configs.pod("shop", "web-0", "198.18.1.20", "web", "node-a", "app=web"));
            await().atMost(WAIT)
                    .until(() -> !cache.current()
                            .of(TypeUrls.ADDRESS)
                            .get("Kubernetes//Pod/shop/web-0")
                            .version()
                            .equals(firstVersion));

            api().apply("""
                    apiVersion: security.istio.io/v1
                    kind: AuthorizationPolicy
                    metadata: {name: web-deny, namespace: shop}
                    spec:
                      selector: {matchLabels: {app: web}}
                      action: DENY
                      rules: [{to: [{operation: {ports: ["9090"]}}]}]
                    """);
            await().atMost(WAIT)
                    .until(() -> cache.current().of(TypeUrls.AUTHORIZATION).containsKey("shop/web-deny"));

            api().delete(ResourceKind.POD, "shop", "web-1");
            api().delete(ResourceKind.AUTHORIZATION_POLICY, "shop", "web-deny");
            await().atMost(WAIT)
                    .until(() -> !cache.current().of(TypeUrls.ADDRESS).containsKey("Kubernetes//Pod/shop/web-1")
                            && cache.current().of(TypeUrls.AUTHORIZATION).isEmpty());
        }
    }

    @Test
    void anInvalidUpdateKeepsTheLastValidVersionAndNamesTheField() {
        api().apply(Configs.pod("shop", "web-0", "198.18.1.5", "web", "node-a", "app=web"));
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS)) {
            assertThat(podIp(source.current())).contains("198.18.1.5");

            api().apply(Configs.pod("shop", "web-0", "198.18.999.1", "web", "node-a", "app=web"));
            await().atMost(WAIT).until(() -> source.problems().stream().anyMatch(ConfigProblem::isError));
            assertThat(podIp(source.current())).contains("198.18.1.5");
            assertThat(source.problems())
                    .filteredOn(ConfigProblem::isError)
                    .singleElement()
                    .satisfies(p -> {
                        assertThat(p.resource()).isEqualTo("Pod shop/web-0");
                        assertThat(p.fieldPath()).isEqualTo("status.podIP");
                        assertThat(p.location().toString()).isEqualTo("kubernetes:/api/v1/namespaces/shop/pods/web-0");
                    });
            assertThat(source.problems())
                    .anySatisfy(p -> assertThat(p.reason()).startsWith("keeping the last valid version"));

            // a CRD that breaks a rule: refused with the field named. (Unknown enum values cannot be shown here:
            // the mock server reads objects into fabric8's typed model and drops them; the webhook tests cover them.)
            api().apply("""
                    apiVersion: security.istio.io/v1
                    kind: AuthorizationPolicy
                    metadata: {name: ext, namespace: shop}
                    spec: {action: ALLOW, provider: {name: ext-authz}, rules: [{}]}
                    """);
            await().atMost(WAIT)
                    .until(() -> source.problems().stream()
                            .anyMatch(p -> p.resource().equals("AuthorizationPolicy shop/ext")));
            assertThat(source.current().authorizationPolicies()).isEmpty();
            assertThat(source.problems())
                    .filteredOn(p -> p.resource().equals("AuthorizationPolicy shop/ext"))
                    .singleElement()
                    .satisfies(p -> {
                        assertThat(p.isError()).isTrue();
                        assertThat(p.fieldPath()).isEqualTo("spec.provider");
                    });

            api().apply(Configs.pod("shop", "web-0", "198.18.1.6", "web", "node-a", "app=web"));
            api().delete(ResourceKind.AUTHORIZATION_POLICY, "shop", "ext");
            await().atMost(WAIT).until(() -> podIp(source.current()).equals(Optional.of("198.18.1.6")));
            await().atMost(WAIT).until(() -> source.problems().isEmpty());
        }
    }

    @Test
    void fieldsNewerThanOurModelAreWarningsNotRefusals() {
        GenericKubernetesResource pod = api().apply(Configs.pod("shop", "web-0", "198.18.1.5", "web", "node-a"))
                .getFirst();
        pod.setAdditionalProperty("spec", withField(pod.get("spec"), "someFutureField", true));
        api().apply(pod);
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS)) {
            assertThat(podIp(source.current())).contains("198.18.1.5");
            assertThat(source.problems()).singleElement().satisfies(p -> {
                assertThat(p.isError()).isFalse();
                assertThat(p.fieldPath()).isEqualTo("spec.someFutureField");
            });
        }
    }

    @Test
    void aBurstOfEventsBecomesOneSnapshot() {
        List<ConfigSnapshot> published = new CopyOnWriteArrayList<>();
        var options = OPTIONS.withDebounce(Duration.ofMillis(1500));
        try (KubernetesSource source = KubernetesSource.connect(api().config(), options)) {
            source.addListener(published::add);
            for (int i = 0; i < 10; i++) {
                api().apply(Configs.pod("shop", "web-" + i, "198.18.1." + (10 + i), "web", "node-a"));
            }
            // listeners run just after current() changes: wait for the published snapshot itself
            await().atMost(WAIT)
                    .until(() ->
                            !published.isEmpty() && published.getLast().pods().size() == 10);
            // quiet for 1.5 s, or at most 15 s of continuous events, before publishing: ten creates are one burst
            assertThat(published).hasSizeLessThanOrEqualTo(2);
            assertThat(published.getLast().pods()).hasSize(10);
        }
    }

    @Test
    void resyncsAfterTheApiServerRestarts() {
        api().apply(Configs.pod("shop", "web-0", "198.18.1.5", "web", "node-a"));
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS)) {
            assertThat(source.current().pods()).hasSize(1);
            api().stop();
            sleep(Duration.ofMillis(500)); // the watches notice the closed connections and start retrying
            // what changed while this source was cut off arrives when its watches are back
            api().applyWhileStopped(Configs.pod("shop", "web-2", "198.18.1.8", "web", "node-a"));
            assertThat(source.current().pods()).hasSize(1);
            api().startAgain();
            await().atMost(WAIT).until(() -> source.current().pods().size() == 2);

            api().apply(Configs.pod("shop", "web-1", "198.18.1.6", "web", "node-a"));
            api().apply(Configs.pod("shop", "web-0", "198.18.1.7", "web", "node-a"));
            await().atMost(WAIT)
                    .until(() -> source.current().pods().size() == 3
                            && podIp(source.current()).equals(Optional.of("198.18.1.7")));
            api().delete(ResourceKind.POD, "shop", "web-1");
            await().atMost(WAIT).until(() -> source.current().pods().size() == 2);
        }
    }

    @Test
    void aWatchTheServerNoLongerServesIsReplacedByAListingThatSeesMissedDeletions() {
        api().apply(Configs.pod("shop", "web-0", "198.18.1.5", "web", "node-a"));
        api().apply(Configs.pod("shop", "web-1", "198.18.1.6", "web", "node-a"));
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS)) {
            assertThat(source.current().pods()).hasSize(2);
            api().stop();
            api().deleteWhileStopped(ResourceKind.POD, "shop", "web-1");
            // a watch resumed from the old resourceVersion cannot replay the deletion: the server says 410 Gone
            api().answerNextWatchWithGone(WatchedKind.newest(ResourceKind.POD).listPath());
            api().startAgain();
            await().atMost(WAIT).until(() -> source.current().pods().size() == 1);
            assertThat(podIp(source.current())).contains("198.18.1.5");
            assertThat(source.problems()).isEmpty();
        }
    }

    @Test
    void aMissingCrdIsAProblemWhileEveryOtherKindWorks() {
        WatchedKind gateways = WatchedKind.newest(ResourceKind.GATEWAY);
        api().server()
                .expect()
                .get()
                .withPath(gateways.listPath() + "?resourceVersion=0")
                .andReturn(404, notFound(gateways))
                .always();
        api().apply(Configs.pod("shop", "web-0", "198.18.1.5", "web", "node-a"));
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS)) {
            assertThat(source.current().pods()).hasSize(1);
            assertThat(source.problems()).singleElement().satisfies(p -> {
                assertThat(p.isError()).isTrue();
                assertThat(p.resource()).isEqualTo("Gateway.gateway.networking.k8s.io");
                assertThat(p.reason())
                        .contains("does not serve /apis/gateway.networking.k8s.io/v1/gateways")
                        .contains("CRD");
            });
            api().apply(Configs.pod("shop", "web-1", "198.18.1.6", "web", "node-a"));
            await().atMost(WAIT).until(() -> source.current().pods().size() == 2);

            // the CRD gets installed: the informer's retries pick the kind up
            api().server().clearExpectations();
            api().apply("""
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: Gateway
                    metadata: {name: waypoint, namespace: shop}
                    spec:
                      gatewayClassName: istio-waypoint
                      listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                    """);
            await().atMost(WAIT).until(() -> source.current().gateways().size() == 1);
            await().atMost(WAIT).until(() -> source.problems().isEmpty());
        }
    }

    @Test
    void onlyTheChosenKindsAreReadThroughTheCallersClient() {
        api().apply(Configs.join(
                Configs.ambientNamespace("shop"), Configs.pod("shop", "web-0", "198.18.1.5", "web", "node-a")));
        try (var client = api().newClient()) {
            var podsOnly = OPTIONS.withKinds(List.of(WatchedKind.newest(ResourceKind.POD)));
            try (KubernetesSource source = KubernetesSource.open(client, podsOnly)) {
                assertThat(source.current().resources().keySet())
                        .containsExactly(new ResourceKey(ResourceKind.POD, "shop", "web-0"));
            }
            // the client stays usable: it is the caller's
            assertThat(client.pods().inNamespace("shop").withName("web-0").get())
                    .isNotNull();
        }
    }

    @Test
    void everySeedExampleValidatesAndLandsInTheSnapshot() throws IOException {
        try (KubernetesSource source = KubernetesSource.connect(api().config(), OPTIONS);
                Stream<Path> listing = Files.list(Path.of("src/test/resources/seed-examples"))) {
            List<Path> seeds =
                    listing.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertThat(seeds).hasSize(15);
            for (Path seed : seeds) {
                GenericKubernetesResource applied =
                        api().apply(Files.readString(seed)).getFirst();
                ResourceKey key = keyOf(applied);
                String version = applied.getMetadata().getResourceVersion();
                await(seed.getFileName().toString())
                        .atMost(WAIT)
                        .until(() -> source.current()
                                .get(key)
                                .map(r ->
                                        version.equals(r.object().getMetadata().getResourceVersion()))
                                .orElse(false));
                assertThat(source.problems()).as(seed.getFileName().toString()).isEmpty();
            }
            // 01, 08, 09 and 11 are versions of one VirtualService: the last applied is in force
            assertThat(source.current().resources()).hasSize(12);
        }
    }

    private static ResourceKey keyOf(GenericKubernetesResource object) {
        String apiVersion = object.getApiVersion();
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        ResourceKind kind = ResourceKind.find(group, object.getKind()).orElseThrow();
        return new ResourceKey(
                kind,
                kind.namespaced() ? object.getMetadata().getNamespace() : "",
                object.getMetadata().getName());
    }

    private static Optional<String> podIp(ConfigSnapshot snapshot) {
        return snapshot.get(ResourceKind.POD, "shop", "web-0", Pod.class)
                .map(p -> p.getStatus().getPodIP());
    }

    private static Object withField(Object spec, String name, Object value) {
        @SuppressWarnings("unchecked")
        var map = new java.util.LinkedHashMap<>((java.util.Map<String, Object>) spec);
        map.put(name, value);
        return map;
    }

    private static io.fabric8.kubernetes.api.model.Status notFound(WatchedKind kind) {
        return new io.fabric8.kubernetes.api.model.StatusBuilder()
                .withStatus("Failure")
                .withReason("NotFound")
                .withCode(404)
                .withMessage("the server could not find the requested resource")
                .build();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A minimal valid object of every kind istiod-lite reads. */
    private static final class OneOfEachKind {
        static final List<String> DOCUMENTS =
                Arrays.stream("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: crud, labels: {istio.io/dataplane-mode: ambient}}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web-0, namespace: crud, labels: {app: web}}
                spec: {serviceAccountName: web, nodeName: node-a, containers: [{name: app, image: app}]}
                status: {phase: Running, podIP: 198.18.1.10}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: crud, labels: {app: web}}
                spec: {clusterIP: 198.19.0.10, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
                ---
                apiVersion: v1
                kind: ServiceAccount
                metadata: {name: web, namespace: crud, labels: {app: web}}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: web-cert, namespace: crud, labels: {app: web}}
                type: kubernetes.io/tls
                data: {tls.crt: LS0tLS0=, tls.key: LS0tLS0=}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: client-ca, namespace: crud, labels: {app: web}}
                data: {ca.crt: "-----BEGIN CERTIFICATE-----"}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: BackendTLSPolicy
                metadata: {name: web-tls, namespace: crud, labels: {app: web}}
                spec:
                  targetRefs: [{group: "", kind: Service, name: web}]
                  validation: {hostname: web.example.com, wellKnownCACertificates: System}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-x1, namespace: crud, labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                endpoints: [{addresses: [198.18.1.10], conditions: {ready: true}}]
                ports: [{name: http, port: 8080, protocol: TCP}]
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a}}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: web, namespace: crud, labels: {app: web}}
                spec: {hosts: [web], http: [{route: [{destination: {host: web}}]}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: web, namespace: crud, labels: {app: web}}
                spec: {host: web, subsets: [{name: v1, labels: {version: v1}}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: ingress, namespace: crud, labels: {app: web}}
                spec:
                  selector: {istio: ingressgateway}
                  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: external, namespace: crud, labels: {app: web}}
                spec:
                  hosts: [api().example.com]
                  ports: [{number: 443, name: https, protocol: TLS}]
                  resolution: DNS
                ---
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: default, namespace: crud, labels: {app: web}}
                spec: {egress: [{hosts: ["./*"]}]}
                ---
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: vm-1, namespace: crud, labels: {app: web}}
                spec: {address: 198.18.5.1, labels: {app: vm}, serviceAccount: vm}
                ---
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: noop, namespace: crud, labels: {app: web}}
                spec: {workloadSelector: {labels: {app: web}}}
                ---
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: crud, labels: {app: web}}
                spec: {mtls: {mode: STRICT}}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: allow-web, namespace: crud, labels: {app: web}}
                spec:
                  selector: {matchLabels: {app: web}}
                  action: ALLOW
                  rules: [{from: [{source: {principals: ["cluster.local/ns/crud/sa/web"]}}]}]
                ---
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: jwt, namespace: crud, labels: {app: web}}
                spec:
                  selector: {matchLabels: {app: web}}
                  jwtRules: [{issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/jwks"}]
                ---
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: mesh-default, namespace: crud, labels: {app: web}}
                spec: {metrics: [{providers: [{name: prometheus}]}]}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: istio-waypoint, labels: {app: web}}
                spec: {controllerName: istio.io/mesh-controller}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: waypoint, namespace: crud, labels: {app: web}}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: web, namespace: crud, labels: {app: web}}
                spec:
                  parentRefs: [{group: "", kind: Service, name: web, port: 80}]
                  rules: [{backendRefs: [{name: web, port: 80}]}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: GRPCRoute
                metadata: {name: grpc, namespace: crud, labels: {app: web}}
                spec:
                  parentRefs: [{group: "", kind: Service, name: web, port: 80}]
                  rules: [{backendRefs: [{name: web, port: 80}]}]
                ---
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TLSRoute
                metadata: {name: tls, namespace: crud, labels: {app: web}}
                spec:
                  parentRefs: [{name: edge, sectionName: tls}]
                  hostnames: [shop.example.com]
                  rules: [{backendRefs: [{name: web, port: 443}]}]
                ---
                apiVersion: gateway.networking.k8s.io/v1alpha2
                kind: TCPRoute
                metadata: {name: tcp, namespace: crud, labels: {app: web}}
                spec:
                  parentRefs: [{name: edge, sectionName: db}]
                  rules: [{backendRefs: [{name: web, port: 5432}]}]
                ---
                apiVersion: gateway.networking.k8s.io/v1beta1
                kind: ReferenceGrant
                metadata: {name: gateways-use-certs, namespace: crud, labels: {app: web}}
                spec:
                  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: edge}]
                  to: [{group: "", kind: Secret}]
                """.split("(?m)^---\n")).collect(Collectors.toUnmodifiableList());
    }
}
