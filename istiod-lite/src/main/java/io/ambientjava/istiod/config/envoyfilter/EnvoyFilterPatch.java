package io.ambientjava.istiod.config.envoyfilter;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** One accepted {@code configPatches} entry of an EnvoyFilter, in the subset istiod-lite applies. */
public sealed interface EnvoyFilterPatch {

    /** Where a patch applies: {@code SIDECAR_INBOUND} (waypoints), {@code GATEWAY} (ingress gateways), {@code ANY}. */
    enum Context {
        ANY,
        SIDECAR_INBOUND,
        GATEWAY
    }

    Context context();

    /**
     * {@code applyTo: HTTP_FILTER}: insert {@code filter} into the HTTP connection manager of the matching listeners,
     * first ({@code INSERT_FIRST}, or {@code INSERT_BEFORE} without a sub-filter) or just before the router.
     *
     * @param listenerName {@code match.listener.name}
     * @param portNumber {@code match.listener.portNumber}
     */
    record HttpFilter(
            Context context,
            Optional<String> listenerName,
            Optional<Integer> portNumber,
            boolean beforeRouter,
            io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter filter)
            implements EnvoyFilterPatch {
        public HttpFilter {
            Objects.requireNonNull(context, "context");
            Objects.requireNonNull(listenerName, "listenerName");
            Objects.requireNonNull(portNumber, "portNumber");
            Objects.requireNonNull(filter, "filter");
        }
    }

    /** {@code match.routeConfiguration.vhost.route.action}. */
    enum RouteActionMatch {
        ANY,
        ROUTE,
        REDIRECT,
        DIRECT_RESPONSE
    }

    /**
     * {@code applyTo: HTTP_ROUTE}, {@code operation: MERGE}: per-filter configs put into the matching routes'
     * {@code typed_per_filter_config}, and {@code rate_limits} appended to their route actions.
     */
    record HttpRoute(
            Context context,
            Optional<String> routeConfigurationName,
            Optional<Integer> portNumber,
            Optional<String> virtualHostName,
            Optional<String> routeName,
            RouteActionMatch action,
            Map<String, Any> typedPerFilterConfig,
            List<RateLimit> rateLimits)
            implements EnvoyFilterPatch {
        public HttpRoute {
            Objects.requireNonNull(context, "context");
            Objects.requireNonNull(routeConfigurationName, "routeConfigurationName");
            Objects.requireNonNull(portNumber, "portNumber");
            Objects.requireNonNull(virtualHostName, "virtualHostName");
            Objects.requireNonNull(routeName, "routeName");
            Objects.requireNonNull(action, "action");
            typedPerFilterConfig = Map.copyOf(typedPerFilterConfig);
            rateLimits = List.copyOf(rateLimits);
        }
    }
}
