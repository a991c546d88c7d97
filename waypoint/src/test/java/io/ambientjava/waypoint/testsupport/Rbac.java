package io.ambientjava.waypoint.testsupport;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/** Envoy RBAC config for tests, spelled as istiod-lite spells it. */
public final class Rbac {

    private Rbac() {}

    public static HttpFilter filter(RBAC.Action action, Policy... policies) {
        RBAC.Builder rules = RBAC.newBuilder().setAction(action);
        for (int i = 0; i < policies.length; i++) {
            rules.putPolicies("policy-" + i, policies[i]);
        }
        return HttpFilter.newBuilder()
                .setName("envoy.filters.http.rbac")
                .setTypedConfig(Any.pack(io.envoyproxy
                        .envoy
                        .extensions
                        .filters
                        .http
                        .rbac
                        .v3
                        .RBAC
                        .newBuilder()
                        .setRules(rules)
                        .build()))
                .build();
    }

    public static Policy policy(Permission permission, Principal principal) {
        return Policy.newBuilder()
                .addPermissions(permission)
                .addPrincipals(principal)
                .build();
    }

    public static Permission anyPermission() {
        return Permission.newBuilder().setAny(true).build();
    }

    public static Principal anyPrincipal() {
        return Principal.newBuilder().setAny(true).build();
    }

    public static Principal principalName(String exact) {
        return Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.newBuilder()
                        .setPrincipalName(StringMatcher.newBuilder().setExact(exact)))
                .build();
    }

    public static Permission method(String method) {
        return Permission.newBuilder()
                .setHeader(HeaderMatcher.newBuilder()
                        .setName(":method")
                        .setStringMatch(StringMatcher.newBuilder().setExact(method)))
                .build();
    }

    public static Permission path(StringMatcher match) {
        return Permission.newBuilder()
                .setUrlPath(PathMatcher.newBuilder().setPath(match))
                .build();
    }

    public static Permission and(Permission... rules) {
        return Permission.newBuilder()
                .setAndRules(Permission.Set.newBuilder().addAllRules(List.of(rules)))
                .build();
    }

    public static Principal andIds(Principal... ids) {
        return Principal.newBuilder()
                .setAndIds(Principal.Set.newBuilder().addAllIds(List.of(ids)))
                .build();
    }

    /** The listener with these filters put before its fault and router filters. */
    public static Listener withFilters(Listener listener, HttpFilter... filters) {
        var filter = listener.getFilterChains(0).getFilters(0);
        HttpConnectionManager hcm;
        try {
            hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        var builder = hcm.toBuilder().clearHttpFilters();
        for (HttpFilter f : filters) {
            builder.addHttpFilters(f);
        }
        builder.addAllHttpFilters(hcm.getHttpFiltersList());
        return listener.toBuilder()
                .setFilterChains(
                        0,
                        listener.getFilterChains(0).toBuilder()
                                .setFilters(0, filter.toBuilder().setTypedConfig(Any.pack(builder.build()))))
                .build();
    }
}
