package io.ambientjava.waypoint.testsupport;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.LocalRateLimitDescriptor;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.XRateLimitHeadersRFCVersion;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.TokenBucket;

/** Envoy local_ratelimit config for tests, as the Istio docs' EnvoyFilters write it. */
public final class RateLimits {

    public static final String FILTER = "envoy.filters.http.local_ratelimit";

    private RateLimits() {}

    public static TokenBucket bucket(int max, int perFill, long fillMillis) {
        return TokenBucket.newBuilder()
                .setMaxTokens(max)
                .setTokensPerFill(UInt32Value.of(perFill))
                .setFillInterval(Envoy.millis(fillMillis))
                .build();
    }

    public static RuntimeFractionalPercent percent(int hundredths) {
        return RuntimeFractionalPercent.newBuilder()
                .setRuntimeKey("local_rate_limit_enabled")
                .setDefaultValue(FractionalPercent.newBuilder()
                        .setNumerator(hundredths)
                        .setDenominator(FractionalPercent.DenominatorType.HUNDRED))
                .build();
    }

    /** Enabled and enforced for every request, with the docs' {@code x-local-rate-limit: true} answer header. */
    public static LocalRateLimit.Builder enforced(TokenBucket bucket) {
        return LocalRateLimit.newBuilder()
                .setStatPrefix("http_local_rate_limiter")
                .setTokenBucket(bucket)
                .setFilterEnabled(percent(100))
                .setFilterEnforced(percent(100))
                .addResponseHeadersToAdd(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder()
                                .setKey("x-local-rate-limit")
                                .setValue("true"))
                        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .setEnableXRatelimitHeaders(XRateLimitHeadersRFCVersion.DRAFT_VERSION_03);
    }

    public static LocalRateLimitDescriptor descriptor(String key, String value, TokenBucket bucket) {
        return LocalRateLimitDescriptor.newBuilder()
                .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(key).setValue(value))
                .setTokenBucket(bucket)
                .build();
    }

    /** The listener with {@code filter} just before the router, as an EnvoyFilter with subFilter router puts it. */
    public static Listener beforeRouter(Listener listener, HttpFilter filter) {
        var network = listener.getFilterChains(0).getFilters(0);
        HttpConnectionManager hcm;
        try {
            hcm = network.getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        int router = hcm.getHttpFiltersCount() - 1;
        var builder = hcm.toBuilder().clearHttpFilters();
        for (int i = 0; i < hcm.getHttpFiltersCount(); i++) {
            if (i == router) {
                builder.addHttpFilters(filter);
            }
            builder.addHttpFilters(hcm.getHttpFilters(i));
        }
        return listener.toBuilder()
                .setFilterChains(
                        0,
                        listener.getFilterChains(0).toBuilder()
                                .setFilters(0, network.toBuilder().setTypedConfig(Any.pack(builder.build()))))
                .build();
    }

    public static HttpFilter filter(LocalRateLimit config) {
        return HttpFilter.newBuilder()
                .setName(FILTER)
                .setTypedConfig(Any.pack(config))
                .build();
    }
}
