package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.RouteAction;

/** Builds the {@code location} of an Envoy redirect from the request. */
public final class Redirects {

    private Redirects() {}

    /**
     * @param matchedPrefix the route's prefix, for {@code prefix_rewrite} (null when the route matched otherwise)
     */
    public static String location(RouteAction.Redirect r, RequestView request, String matchedPrefix) {
        String scheme = r.scheme().orElse(request.scheme());
        String authority = request.authority();
        String host = authority;
        String port = "";
        int colon = authority.lastIndexOf(':');
        if (colon > 0 && authority.indexOf(']') < colon) {
            host = authority.substring(0, colon);
            port = authority.substring(colon);
        }
        if (r.host().isPresent()) {
            host = r.host().get();
            port = ""; // Envoy replaces the whole host part, port included
        }
        if (r.port().isPresent()) {
            port = ":" + r.port().get();
        } else if (r.scheme().isPresent() && !r.scheme().get().equals(request.scheme())) {
            port = ""; // a scheme change drops the old scheme's port, as Envoy does
        }
        String pathAndQuery = request.pathAndQuery();
        String path = request.path();
        String query = pathAndQuery.length() > path.length() ? pathAndQuery.substring(path.length()) : "";
        if (r.path().isPresent()) {
            path = r.path().get();
        } else if (r.prefixRewrite().isPresent() && matchedPrefix != null && path.startsWith(matchedPrefix)) {
            path = r.prefixRewrite().get() + path.substring(matchedPrefix.length());
        }
        if (r.stripQuery()) {
            query = "";
        }
        return scheme + "://" + host + port + path + query;
    }
}
