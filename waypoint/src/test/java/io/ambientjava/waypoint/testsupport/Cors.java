package io.ambientjava.waypoint.testsupport;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;

/** Envoy CORS config for tests, as Istio writes a VirtualService's {@code corsPolicy}. */
public final class Cors {

    public static final String FILTER = "envoy.filters.http.cors";

    private Cors() {}

    public static HttpFilter filter() {
        return HttpFilter.newBuilder()
                .setName(FILTER)
                .setTypedConfig(Any.pack(io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.getDefaultInstance()))
                .build();
    }

    /** Istio's shape: {@code filter_enabled} 100 % under a runtime key, origin {@code https://app.example.com}. */
    public static CorsPolicy.Builder policy() {
        return CorsPolicy.newBuilder()
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setExact("https://app.example.com"))
                .setAllowMethods("GET,PUT")
                .setAllowHeaders("content-type,x-custom")
                .setExposeHeaders("x-trace")
                .setMaxAge("86400")
                .setAllowCredentials(Envoy.bool(true))
                .setFilterEnabled(enabled(100));
    }

    public static RuntimeFractionalPercent enabled(int percent) {
        return RuntimeFractionalPercent.newBuilder()
                .setRuntimeKey("cors.enabled")
                .setDefaultValue(FractionalPercent.newBuilder()
                        .setNumerator(percent)
                        .setDenominator(FractionalPercent.DenominatorType.HUNDRED))
                .build();
    }
}
