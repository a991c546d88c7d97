package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;

/** Envoy's {@code RouteMatch}: a path match, and every header and query parameter matcher. */
public record RouteMatch(PathMatch path, List<HeaderMatch> headers, List<QueryMatch> queryParameters) {

    public RouteMatch {
        Objects.requireNonNull(path, "path");
        headers = List.copyOf(headers);
        queryParameters = List.copyOf(queryParameters);
    }
}
