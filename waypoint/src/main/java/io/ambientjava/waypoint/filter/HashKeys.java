package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.HashPolicy;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The consistent-hash key of a request from a route's {@code hash_policy}: the values of the policies that apply
 * (header, cookie, source IP, query parameter) combined in order, stopping after a terminal one that applied; none → no key.
 */
public final class HashKeys {

    private HashKeys() {}

    public static OptionalLong of(List<HashPolicy> policies, RequestView request, Optional<InetSocketAddress> source) {
        long h = 0;
        boolean any = false;
        for (HashPolicy p : policies) {
            Optional<String> value = switch (p) {
                case HashPolicy.Header header -> request.header(header.name());
                case HashPolicy.Cookie cookie -> cookie(request, cookie.name());
                case HashPolicy.SourceIp ip -> source.map(s -> s.getAddress().getHostAddress());
                case HashPolicy.QueryParameter q -> request.queryParameter(q.name());
            };
            if (value.isPresent()) {
                h = h * 31 + value.get().hashCode() * 0x9E3779B97F4A7C15L;
                any = true;
                if (p.terminal()) {
                    break;
                }
            }
        }
        return any ? OptionalLong.of(h) : OptionalLong.empty();
    }

    private static Optional<String> cookie(RequestView request, String name) {
        for (String header : request.headers().getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie c : ServerCookieDecoder.LAX.decode(header)) {
                if (c.name().equals(name)) {
                    return Optional.of(c.value());
                }
            }
        }
        return Optional.empty();
    }
}
