package io.ambientjava.waypoint.config;

import java.util.Objects;
import java.util.Optional;

/** One route of a virtual host: first match wins. */
public record Route(
        String name,
        RouteMatch match,
        RouteAction action,
        HeaderMutations requestHeaders,
        HeaderMutations responseHeaders,
        Optional<FaultConfig> fault) {

    public Route {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(requestHeaders, "requestHeaders");
        Objects.requireNonNull(responseHeaders, "responseHeaders");
        Objects.requireNonNull(fault, "fault");
    }
}
