package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Changes to a listener's HTTP connection managers, one per filter chain that has one: a service listener's single
 * chain, each pod's chain on {@code inbound-pod}, each certificate's chain of an ingress port. TCP chains are left
 * as they are. The patchers (Telemetry, EnvoyFilter) go through here, so every kind of listener gets their changes.
 */
final class ConnectionManagers {

    private ConnectionManagers() {}

    /** The listener with {@code change} applied to each chain's manager; the same instance when nothing changed. */
    static Listener patch(Listener listener, UnaryOperator<HttpConnectionManager> change) {
        Listener.Builder patched = null;
        for (int i = 0; i < listener.getFilterChainsCount(); i++) {
            FilterChain chain = listener.getFilterChains(i);
            Optional<HttpConnectionManager> manager = of(chain);
            if (manager.isEmpty()) {
                continue;
            }
            HttpConnectionManager result = change.apply(manager.get());
            if (result.equals(manager.get())) {
                continue;
            }
            patched = patched == null ? listener.toBuilder() : patched;
            patched.setFilterChains(
                    i,
                    chain.toBuilder()
                            .setFilters(0, chain.getFilters(0).toBuilder().setTypedConfig(Any.pack(result))));
        }
        return patched == null ? listener : patched.build();
    }

    private static Optional<HttpConnectionManager> of(FilterChain chain) {
        if (chain.getFiltersCount() != 1 || !chain.getFilters(0).getName().equals(EnvoyNames.HTTP_CONNECTION_MANAGER)) {
            return Optional.empty();
        }
        try {
            return Optional.of(chain.getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class));
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }
}
