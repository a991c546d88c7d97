package io.ambientjava.istiod.config.envoyfilter;

/** EnvoyFilters for local rate limiting, shaped like the ones in Istio's docs (our own wording and values). */
public final class RateLimitFilters {

    private RateLimitFilters() {}

    /** HTTP_FILTER with a TypedStruct-wrapped config: 4 requests, refilled by 4 every minute. */
    public static String listenerLimit(String namespace, String context, String targeting) {
        return """
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: local-limit, namespace: %s}
                spec:
                %s
                  configPatches:
                  - applyTo: HTTP_FILTER
                    match:
                      context: %s
                      listener:
                        filterChain:
                          filter:
                            name: envoy.filters.network.http_connection_manager
                            subFilter: {name: envoy.filters.http.router}
                    patch:
                      operation: INSERT_BEFORE
                      value:
                        name: envoy.filters.http.local_ratelimit
                        typed_config:
                          "@type": type.googleapis.com/udpa.type.v1.TypedStruct
                          type_url: type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                          value:
                            stat_prefix: http_local_rate_limiter
                            token_bucket: {max_tokens: 4, tokens_per_fill: 4, fill_interval: 60s}
                            filter_enabled:
                              runtime_key: local_rate_limit_enabled
                              default_value: {numerator: 100, denominator: HUNDRED}
                            filter_enforced:
                              runtime_key: local_rate_limit_enforced
                              default_value: {numerator: 100, denominator: HUNDRED}
                            response_headers_to_add:
                            - append_action: OVERWRITE_IF_EXISTS_OR_ADD
                              header: {key: x-local-rate-limit, value: "true"}
                            enable_x_ratelimit_headers: DRAFT_VERSION_03
                """.formatted(namespace, targeting, context);
    }

    /**
     * The per-route shape: the filter without a bucket on the listener (written with {@code @type} directly), and
     * an HTTP_ROUTE MERGE giving every route of the virtual host its bucket, a descriptor and the action making it.
     */
    public static String routeLimit(String namespace, String context, String vhost) {
        return """
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: route-limit, namespace: %s}
                spec:
                  configPatches:
                  - applyTo: HTTP_FILTER
                    match:
                      context: %s
                      listener:
                        filterChain:
                          filter: {name: envoy.filters.network.http_connection_manager}
                    patch:
                      operation: INSERT_BEFORE
                      value:
                        name: envoy.filters.http.local_ratelimit
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                          stat_prefix: http_local_rate_limiter
                  - applyTo: HTTP_ROUTE
                    match:
                      context: %s
                      routeConfiguration:
                        vhost:
                          name: "%s"
                          route: {action: ANY}
                    patch:
                      operation: MERGE
                      value:
                        route:
                          rate_limits:
                          - actions:
                            - header_value_match:
                                descriptor_key: path
                                descriptor_value: "yes"
                                headers:
                                - name: ":path"
                                  string_match: {prefix: /limited}
                        typed_per_filter_config:
                          envoy.filters.http.local_ratelimit:
                            "@type": type.googleapis.com/udpa.type.v1.TypedStruct
                            type_url: type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                            value:
                              stat_prefix: http_local_rate_limiter
                              token_bucket: {max_tokens: 10, tokens_per_fill: 10, fill_interval: 60s}
                              filter_enabled:
                                default_value: {numerator: 100, denominator: HUNDRED}
                              filter_enforced:
                                default_value: {numerator: 100, denominator: HUNDRED}
                              descriptors:
                              - entries: [{key: path, value: "yes"}]
                                token_bucket: {max_tokens: 2, tokens_per_fill: 2, fill_interval: 60s}
                """.formatted(namespace, context, context, vhost);
    }
}
