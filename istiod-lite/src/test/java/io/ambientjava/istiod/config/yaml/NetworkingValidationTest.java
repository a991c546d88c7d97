package io.ambientjava.istiod.config.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.config.ConfigProblem;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** VirtualService and DestinationRule values the Envoy translation cannot use are refused, naming the field. */
class NetworkingValidationTest {

    private final ResourceFileParser parser = new ResourceFileParser();

    @Test
    void badVirtualServiceValuesAreErrorsWithTheirPaths() {
        var parsed = parser.parse(Path.of("vs.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: shop}
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - {destination: {host: reviews, subset: v1}, weight: -5}
                    - {destination: {subset: v2}, weight: 5}
                    timeout: 3 seconds
                    retries: {attempts: -1, perTryTimeout: 2x}
                    fault:
                      delay: {fixedDelay: 5s, percentage: {value: 150}}
                      abort: {httpStatus: 99}
                    mirrorPercent: 101
                  - route:
                    - {destination: {host: reviews, subset: v1}, weight: 0}
                    - {destination: {host: reviews, subset: v2}}
                    redirect: {uri: /elsewhere}
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems())
                .extracting(ConfigProblem::fieldPath)
                .containsExactlyInAnyOrder(
                        "spec.http[0].route[0].weight",
                        "spec.http[0].route[1].destination.host",
                        "spec.http[0].timeout",
                        "spec.http[0].retries.attempts",
                        "spec.http[0].retries.perTryTimeout",
                        "spec.http[0].fault.delay.percentage.value",
                        "spec.http[0].fault.abort.httpStatus",
                        "spec.http[0].mirrorPercent",
                        "spec.http[1]",
                        "spec.http[1].route");
        assertThat(parsed.problems()).allMatch(ConfigProblem::isError);
        assertThat(parsed.problems())
                .anySatisfy(p -> assertThat(p.message()).contains("'3 seconds' is not a duration"));
    }

    @Test
    void delegationMistakesAreErrorsWithTheirPaths() {
        var parsed = parser.parse(Path.of("vs.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: root, namespace: shop}
                spec:
                  hosts: [shop]
                  http:
                  - delegate: {name: cart}
                    route: [{destination: {host: cart}}]
                  - delegate: {namespace: shop}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: cart, namespace: shop}
                spec:
                  gateways: [edge]
                  http:
                  - delegate: {name: deeper}
                  tcp:
                  - route: [{destination: {host: cart}}]
                """);
        assertThat(parsed.accepted()).isEmpty();
        assertThat(parsed.problems())
                .extracting(ConfigProblem::fieldPath)
                .containsExactlyInAnyOrder(
                        "spec.http[0].delegate",
                        "spec.http[1].delegate.name",
                        "spec.gateways",
                        "spec.tcp",
                        "spec.http[0].delegate");
        assertThat(parsed.problems())
                .anySatisfy(p -> assertThat(p.message()).contains("cannot delegate again"))
                .anySatisfy(p -> assertThat(p.message()).contains("binds to no gateway"));
    }

    @Test
    void aDelegateWithHttpRoutesOnlyIsAccepted() {
        var parsed = parser.parse(Path.of("vs.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: cart, namespace: shop}
                spec:
                  http:
                  - match: [{uri: {prefix: /cart}}]
                    route: [{destination: {host: cart}}]
                """);
        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.accepted()).hasSize(1);
    }

    @Test
    void weightsNeedNotSumTo100() {
        var parsed = parser.parse(Path.of("vs.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: shop}
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - {destination: {host: reviews, subset: v1}, weight: 3}
                    - {destination: {host: reviews, subset: v2}, weight: 1}
                """);
        assertThat(parsed.problems()).isEmpty();
    }

    @Test
    void badDestinationRuleValuesAreErrorsWithTheirPaths() {
        var parsed = parser.parse(Path.of("dr.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: shop}
                spec:
                  host: reviews
                  trafficPolicy:
                    connectionPool: {tcp: {connectTimeout: fast, idleTimeout: soon}, http: {maxConcurrentStreams: -1}}
                    outlierDetection: {interval: 10, maxEjectionPercent: 120}
                    loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: slowly, aggression: 0.5, minimumPercent: 120}}
                    retryBudget: {percent: 150}
                  subsets:
                  - {name: v1, labels: {version: v1}}
                  - name: v1
                    labels: {version: v2}
                    trafficPolicy: {retryBudget: {minRetryConcurrency: -1}}
                """);
        assertThat(parsed.problems())
                .extracting(ConfigProblem::fieldPath)
                .containsExactlyInAnyOrder(
                        "spec.trafficPolicy.connectionPool.tcp.connectTimeout",
                        "spec.trafficPolicy.connectionPool.tcp.idleTimeout",
                        "spec.trafficPolicy.connectionPool.http.maxConcurrentStreams",
                        "spec.trafficPolicy.outlierDetection.interval",
                        "spec.trafficPolicy.loadBalancer.warmup.duration",
                        "spec.trafficPolicy.loadBalancer.warmup.aggression",
                        "spec.trafficPolicy.loadBalancer.warmup.minimumPercent",
                        "spec.trafficPolicy.outlierDetection.maxEjectionPercent",
                        "spec.trafficPolicy.retryBudget.percent",
                        "spec.subsets[1].name",
                        "spec.subsets[1].trafficPolicy.retryBudget.minRetryConcurrency");
    }
}
