package io.ambientjava.waypoint.config;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Envoy's {@code envoy.filters.http.cors}: the listener's (empty) {@code Cors} and a route's {@code CorsPolicy},
 * refusing (by field) {@code shadow_enabled}, {@code allow_private_network_access} and anything newer.
 */
public final class CorsTranslator {

    public static final String FILTER_NAME = "envoy.filters.http.cors";
    static final String FILTER_TYPE_URL = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors";
    static final String POLICY_TYPE_URL = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy";

    private CorsTranslator() {}

    /** The HCM's filter entry: it carries no settings, the routes do. */
    static void listenerFilter(Any typedConfig, String path) {
        FieldGuard.onlyFields(unpack(typedConfig, FILTER_TYPE_URL, Cors.class, path), path, Set.of());
    }

    /** A route's {@code typed_per_filter_config} entry. */
    static CorsPolicy perRoute(Any typedConfig, String path) {
        var p = unpack(
                typedConfig,
                POLICY_TYPE_URL,
                io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.class,
                path);
        FieldGuard.onlyFields(
                p,
                path,
                Set.of(
                        "allow_origin_string_match",
                        "allow_methods",
                        "allow_headers",
                        "expose_headers",
                        "max_age",
                        "allow_credentials",
                        "filter_enabled",
                        "forward_not_matching_preflights"));
        List<StringMatch> origins = new ArrayList<>();
        for (int i = 0; i < p.getAllowOriginStringMatchCount(); i++) {
            origins.add(MatcherTranslator.string(
                    p.getAllowOriginStringMatch(i), path + ".allow_origin_string_match[" + i + "]"));
        }
        return new CorsPolicy(
                origins,
                p.getAllowMethods(),
                p.getAllowHeaders(),
                p.getExposeHeaders(),
                p.getMaxAge(),
                p.hasAllowCredentials() && p.getAllowCredentials().getValue(),
                enabledFraction(p.hasFilterEnabled(), p.getFilterEnabled(), path + ".filter_enabled"),
                !p.hasForwardNotMatchingPreflights()
                        || p.getForwardNotMatchingPreflights().getValue());
    }

    /** Unlike most runtime fractions, Envoy enables CORS for every request when {@code filter_enabled} is unset. */
    private static double enabledFraction(boolean present, RuntimeFractionalPercent p, String path) {
        if (!present) {
            return 1.0;
        }
        // runtime_key names a runtime override; the waypoint has no runtime, so default_value always decides
        FieldGuard.onlyFields(p, path, Set.of("default_value", "runtime_key"));
        if (!p.hasDefaultValue()) {
            throw FieldGuard.invalid(path + ".default_value", "required");
        }
        FieldGuard.onlyFields(p.getDefaultValue(), path + ".default_value", Set.of("numerator", "denominator"));
        return ProtoValues.fraction(p.getDefaultValue(), path + ".default_value");
    }

    private static <T extends Message> T unpack(Any any, String typeUrl, Class<T> type, String path) {
        if (!any.getTypeUrl().equals(typeUrl)) {
            throw FieldGuard.invalid(path, "expected " + typeUrl + ", got " + any.getTypeUrl());
        }
        try {
            return ProtoTypes.unpack(any, type);
        } catch (InvalidProtocolBufferException e) {
            throw FieldGuard.invalid(path, "cannot decode " + type.getSimpleName() + ": " + e.getMessage());
        }
    }
}
