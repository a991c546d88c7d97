package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.config.HeaderMutations;
import io.ambientjava.waypoint.config.PathMatch;
import io.ambientjava.waypoint.config.Route;
import io.ambientjava.waypoint.config.RouteAction;
import io.ambientjava.waypoint.filter.HeaderMutator;
import io.ambientjava.waypoint.filter.Redirects;
import io.ambientjava.waypoint.filter.RequestView;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Answers the waypoint gives itself: errors, fault aborts, direct responses and redirects. */
final class LocalReplies {

    private LocalReplies() {}

    static FullHttpResponse text(int code, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(code),
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        return response;
    }

    /** Circuit breaker overflow, marked as Envoy marks it. */
    static FullHttpResponse overflow(String what) {
        FullHttpResponse response = text(
                503,
                "upstream connect error or disconnect/reset before headers. reset reason: overflow (" + what + ")");
        response.headers().set("x-envoy-overloaded", "true");
        return response;
    }

    /** A gRPC error as a trailers-only response: HTTP 200 with {@code grpc-status} in the only HEADERS. */
    static FullHttpResponse grpcError(int grpcStatus, String message) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
        response.headers().set("grpc-status", grpcStatus);
        response.headers().set("grpc-message", message);
        return response;
    }

    static FullHttpResponse direct(RouteAction.DirectResponse direct, HeaderMutations responseHeaders) {
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(direct.status()),
                Unpooled.copiedBuffer(direct.body().orElse(""), StandardCharsets.UTF_8));
        if (direct.body().isPresent()) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        }
        HeaderMutator.apply(responseHeaders, response.headers());
        return response;
    }

    /** A virtual host that requires TLS, asked over plain HTTP: as Envoy, 301 to the same host and path on https. */
    static FullHttpResponse httpsRedirect(RequestView request) {
        FullHttpResponse response =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.MOVED_PERMANENTLY);
        response.headers().set(HttpHeaderNames.LOCATION, "https://" + request.authority() + request.pathAndQuery());
        return response;
    }

    static FullHttpResponse redirect(RouteAction.Redirect redirect, Route route, RequestView request) {
        String prefix = route.match().path() instanceof PathMatch.Prefix p ? p.prefix() : null;
        FullHttpResponse response =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(redirect.status()));
        response.headers().set(HttpHeaderNames.LOCATION, Redirects.location(redirect, request, prefix));
        HeaderMutator.apply(route.responseHeaders(), response.headers());
        return response;
    }
}
