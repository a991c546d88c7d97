package io.ambientjava.istiod.config.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.config.envoyfilter.RateLimitFilters;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * EnvoyFilters: the local rate limiting shapes of Istio's docs are accepted; any other patch is refused with the
 * unsupported part named, and only that resource is refused.
 */
class EnvoyFilterValidationTest {

    private final ResourceFileParser parser = new ResourceFileParser();

    private ResourceFileParser.ParsedFile parse(String yaml) {
        return parser.parse(Path.of("ef.yaml"), yaml);
    }

    private List<ConfigProblem> errors(String yaml) {
        var parsed = parse(yaml);
        assertThat(parsed.accepted()).isEmpty();
        return parsed.problems().stream().filter(ConfigProblem::isError).toList();
    }

    private static String patch(String configPatch) {
        return """
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: bad, namespace: default}
                spec:
                  configPatches:
                %s
                """.formatted(configPatch.indent(2).stripTrailing());
    }

    @Test
    void theDocsShapesAreAccepted() {
        var listener = parse(RateLimitFilters.listenerLimit(
                "istio-system", "GATEWAY", "  workloadSelector: {labels: {istio: ingressgateway}}"));
        assertThat(listener.problems()).isEmpty();
        assertThat(listener.accepted())
                .singleElement()
                .satisfies(r -> assertThat(r.key().kind()).isEqualTo(ResourceKind.ENVOY_FILTER));
        var route = parse(RateLimitFilters.routeLimit("default", "SIDECAR_INBOUND", "reviews:9080"));
        assertThat(route.problems()).isEmpty();
        assertThat(route.accepted()).hasSize(1);
    }

    @Test
    void otherApplyToKindsAreRefusedByName() {
        assertThat(errors(patch("""
                - applyTo: CLUSTER
                  patch: {operation: MERGE, value: {connect_timeout: 1s}}
                """))).singleElement().satisfies(p -> {
            assertThat(p.fieldPath()).isEqualTo("spec.configPatches[0].applyTo");
            assertThat(p.message()).contains("CLUSTER is not supported");
            assertThat(p.resource()).isEqualTo("EnvoyFilter default/bad");
        });
    }

    @Test
    void otherFiltersOperationsAndContextsAreRefusedByName() {
        var problems = errors(patch("""
                - applyTo: HTTP_FILTER
                  match: {context: SIDECAR_INBOUND}
                  patch:
                    operation: INSERT_BEFORE
                    value:
                      name: envoy.filters.http.ext_authz
                      typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz}
                - applyTo: HTTP_FILTER
                  match: {context: SIDECAR_OUTBOUND}
                  patch:
                    operation: REPLACE
                    value: {name: envoy.filters.http.local_ratelimit}
                - applyTo: HTTP_ROUTE
                  patch: {operation: REMOVE, value: {}}
                - applyTo: HTTP_FILTER
                  match:
                    listener:
                      portName: http
                      filterChain: {filter: {name: envoy.filters.network.tcp_proxy, subFilter: {name: envoy.filters.http.cors}}}
                  patch:
                    operation: INSERT_FIRST
                    value: {name: envoy.filters.http.local_ratelimit, typed_config: {"@type": x}}
                """));
        assertThat(problems)
                .extracting(ConfigProblem::fieldPath)
                .containsExactlyInAnyOrder(
                        "spec.configPatches[0].patch.value.name",
                        "spec.configPatches[1].match.context",
                        "spec.configPatches[1].patch.operation",
                        "spec.configPatches[2].patch.operation",
                        "spec.configPatches[3].match.listener.portName",
                        "spec.configPatches[3].match.listener.filterChain.filter.name",
                        "spec.configPatches[3].match.listener.filterChain.filter.subFilter.name",
                        "spec.configPatches[3].patch.value.typed_config");
        assertThat(problems.getFirst().message())
                .contains("envoy.filters.http.ext_authz")
                .contains("not supported");
    }

    @Test
    void envoyFieldsTheWaypointLacksOrDoesNotKnowAreRefusedByName() {
        var problems = errors(patch("""
                - applyTo: HTTP_FILTER
                  patch:
                    operation: INSERT_FIRST
                    value:
                      name: envoy.filters.http.local_ratelimit
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                        stat_prefix: p
                        local_rate_limit_per_downstream_connection: true
                        token_bucket: {max_tokens: 1, fill_interval: 0.01s}
                        rate_limits: [{actions: [{destination_cluster: {}}]}]
                        descriptors: [{entries: [{key: user}], token_bucket: {max_tokens: 1, fill_interval: 1s}}]
                - applyTo: HTTP_FILTER
                  patch:
                    operation: INSERT_FIRST
                    value:
                      name: envoy.filters.http.local_ratelimit
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                        stat_prefix: p
                        token_bukket: {max_tokens: 1}
                - applyTo: HTTP_ROUTE
                  patch:
                    operation: MERGE
                    value:
                      timeout: 5s
                      typed_per_filter_config:
                        envoy.filters.http.local_ratelimit:
                          "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                          stat_prefix: no-bucket
                """));
        String value = "spec.configPatches[0].patch.value.typed_config";
        assertThat(problems)
                .extracting(ConfigProblem::fieldPath)
                .containsExactlyInAnyOrder(
                        value + ".local_rate_limit_per_downstream_connection",
                        value + ".token_bucket.fill_interval",
                        value + ".rate_limits[0].actions[0].destination_cluster",
                        value + ".descriptors[0].entries[0].value",
                        "spec.configPatches[1].patch.value",
                        "spec.configPatches[2].patch.value.timeout");
        assertThat(problems.get(4).message()).contains("token_bukket");
    }

    @Test
    void aPerRouteLimitNeedsABucket() {
        var problems = errors(patch("""
                - applyTo: HTTP_ROUTE
                  patch:
                    operation: MERGE
                    value:
                      typed_per_filter_config:
                        envoy.filters.http.local_ratelimit:
                          "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                          stat_prefix: no-bucket
                """));
        assertThat(problems)
                .singleElement()
                .satisfies(p -> assertThat(p.fieldPath())
                        .isEqualTo("spec.configPatches[0].patch.value.typed_per_filter_config"
                                + ".envoy.filters.http.local_ratelimit.token_bucket"));
    }

    @Test
    void targetsMustBeGatewaysAndNotBesideASelector() {
        var problems = errors(RateLimitFilters.listenerLimit("default", "ANY", """
                  workloadSelector: {labels: {app: x}}
                  targetRefs: [{group: "", kind: Service, name: reviews}]
                """.stripTrailing()));
        assertThat(problems)
                .extracting(ConfigProblem::fieldPath)
                .containsExactlyInAnyOrder("spec.targetRefs", "spec.targetRefs[0]");
    }

    @Test
    void aRefusedEnvoyFilterLeavesTheRestOfTheFileWorking() {
        var parsed = parse(patch("""
                - applyTo: LISTENER
                  patch: {operation: ADD, value: {name: extra}}
                """) + """
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http: [{route: [{destination: {host: reviews}}]}]
                """);
        assertThat(parsed.accepted())
                .singleElement()
                .satisfies(r -> assertThat(r.key().kind()).isEqualTo(ResourceKind.VIRTUAL_SERVICE));
        assertThat(parsed.problems())
                .singleElement()
                .satisfies(p -> assertThat(p.fieldPath()).isEqualTo("spec.configPatches[0].applyTo"));
    }
}
