package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.PathMatch;
import io.ambientjava.waypoint.config.Route;
import io.ambientjava.waypoint.config.RouteAction;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.util.Locale;
import java.util.Set;

/**
 * What goes upstream for a forwarded request: the client's headers without hop-by-hop ones, plus
 * {@code x-request-id} and {@code x-forwarded-proto}, the route's and the weighted cluster's header changes,
 * and the path and authority after {@code prefix_rewrite} and {@code host_rewrite_literal}.
 */
public record ForwardedRequest(HttpHeaders headers, String path, String authority) {

    /** Connection-specific headers that never cross a proxy (also stripped from responses). */
    public static final Set<String> HOP_BY_HOP =
            Set.of("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "http2-settings");

    public static ForwardedRequest of(
            HttpHeaders clientHeaders,
            String uri,
            RequestView view,
            Route route,
            RouteAction.Forward forward,
            RouteAction.WeightedCluster chosen,
            String requestId) {
        HttpHeaders headers = clientHeaders.copy();
        HOP_BY_HOP.forEach(headers::remove);
        String te = clientHeaders.get(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.TE);
        if (te != null && te.toLowerCase(Locale.ROOT).contains("trailers")) {
            headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS); // gRPC needs it; nothing else of TE passes
        }
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
        headers.remove(HttpHeaderNames.EXPECT); // the proxy answered it
        headers.set("x-request-id", requestId);
        if (!headers.contains("x-forwarded-proto")) {
            headers.set("x-forwarded-proto", view.scheme());
        }
        HeaderMutator.apply(route.requestHeaders(), headers);
        HeaderMutator.apply(chosen.requestHeaders(), headers);
        String path = uri;
        if (forward.prefixRewrite().isPresent() && route.match().path() instanceof PathMatch.Prefix p) {
            if (view.path()
                    .regionMatches(
                            !p.caseSensitive(), 0, p.prefix(), 0, p.prefix().length())) {
                path = forward.prefixRewrite().get() + uri.substring(p.prefix().length());
            }
        }
        if (forward.prefixRewrite().isEmpty() && forward.regexRewrite().isPresent()) {
            var rewrite = forward.regexRewrite().get();
            String query = uri.substring(view.path().length());
            path = rewrite.pattern().matcher(view.path()).replaceAll(rewrite.replacement()) + query;
        }
        String authority = forward.hostRewrite().orElse(view.authority());
        headers.set(HttpHeaderNames.HOST, authority);
        return new ForwardedRequest(headers, path, authority);
    }
}
