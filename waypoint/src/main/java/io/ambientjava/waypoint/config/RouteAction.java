package io.ambientjava.waypoint.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What a matched route does: forward to clusters, redirect, or answer directly. */
public sealed interface RouteAction {

    /**
     * Envoy's {@code RouteAction}.
     *
     * @param clusters one entry with weight 1 for {@code cluster}, or the weighted clusters
     * @param timeout empty: no route timeout (Envoy {@code timeout: 0s})
     */
    record Forward(
            List<WeightedCluster> clusters,
            Optional<Duration> timeout,
            Optional<RetryPolicy> retry,
            List<Mirror> mirrors,
            Optional<String> prefixRewrite,
            Optional<RegexRewrite> regexRewrite,
            Optional<String> hostRewrite,
            List<HashPolicy> hashPolicies)
            implements RouteAction {
        public Forward {
            clusters = List.copyOf(clusters);
            mirrors = List.copyOf(mirrors);
            hashPolicies = List.copyOf(hashPolicies);
            if (clusters.isEmpty()) {
                throw new IllegalArgumentException("a forwarding route needs a cluster");
            }
        }

        public int totalWeight() {
            return clusters.stream().mapToInt(WeightedCluster::weight).sum();
        }
    }

    /**
     * Envoy's {@code regex_rewrite}: every match of {@code pattern} in the path (query excluded) is replaced.
     *
     * @param replacement in {@link java.util.regex.Matcher#replaceAll} syntax (Envoy's {@code \1} became {@code $1})
     */
    record RegexRewrite(java.util.regex.Pattern pattern, String replacement) {}

    /** One weighted cluster, with header changes that apply when it is picked. */
    record WeightedCluster(String name, int weight, HeaderMutations requestHeaders, HeaderMutations responseHeaders) {
        public WeightedCluster {
            Objects.requireNonNull(name, "name");
        }
    }

    /** A mirror: a copy of {@code fraction} of requests goes to {@code cluster}, its answer dropped. */
    record Mirror(String cluster, double fraction) {}

    /** Envoy's {@code RedirectAction}. Empty parts keep the request's. */
    record Redirect(
            Optional<String> scheme,
            Optional<String> host,
            Optional<Integer> port,
            Optional<String> path,
            Optional<String> prefixRewrite,
            int status,
            boolean stripQuery)
            implements RouteAction {}

    /** Envoy's {@code DirectResponseAction}. */
    record DirectResponse(int status, Optional<String> body) implements RouteAction {}
}
