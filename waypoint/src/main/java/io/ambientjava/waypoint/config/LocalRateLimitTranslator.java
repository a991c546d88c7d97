package io.ambientjava.waypoint.config;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.LocalRateLimitDescriptor;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Envoy's {@code envoy.filters.http.local_ratelimit} config ({@code LocalRateLimit}) and the route's
 * {@code rate_limits} to our records, refusing (by field) what the waypoint does not implement: per-connection
 * buckets, cluster-wide sharing, virtual host rate limits, wildcard descriptors, and the rate limit actions other
 * than {@code request_headers}, {@code generic_key}, {@code header_value_match} and {@code remote_address}.
 */
public final class LocalRateLimitTranslator {

    public static final String FILTER_NAME = "envoy.filters.http.local_ratelimit";
    static final String TYPE_URL =
            "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";

    private static final Set<String> SUPPORTED = Set.of(
            "stat_prefix",
            "status",
            "token_bucket",
            "filter_enabled",
            "filter_enforced",
            "request_headers_to_add_when_not_enforced",
            "response_headers_to_add",
            "descriptors",
            "stage",
            "enable_x_ratelimit_headers",
            "always_consume_default_token_bucket",
            "rate_limited_as_resource_exhausted",
            "rate_limits");

    private LocalRateLimitTranslator() {}

    /** The listener's filter: a bucket is optional there (routes may bring theirs). */
    static LocalRateLimitConfig listenerFilter(Any typedConfig, String path) {
        return translate(unpack(typedConfig, path), path, false);
    }

    /** A route's {@code typed_per_filter_config}: Envoy requires the bucket there. */
    static LocalRateLimitConfig perRoute(Any typedConfig, String path) {
        return translate(unpack(typedConfig, path), path, true);
    }

    private static LocalRateLimit unpack(Any any, String path) {
        if (!any.getTypeUrl().equals(TYPE_URL)) {
            throw FieldGuard.invalid(path, "expected " + TYPE_URL + ", got " + any.getTypeUrl());
        }
        try {
            return ProtoTypes.unpack(any, LocalRateLimit.class);
        } catch (InvalidProtocolBufferException e) {
            throw FieldGuard.invalid(path, "cannot decode LocalRateLimit: " + e.getMessage());
        }
    }

    static LocalRateLimitConfig translate(LocalRateLimit l, String path, boolean bucketRequired) {
        FieldGuard.onlyFields(l, path, SUPPORTED);
        if (l.getStatPrefix().isEmpty()) {
            throw FieldGuard.invalid(path + ".stat_prefix", "required");
        }
        if (bucketRequired && !l.hasTokenBucket()) {
            throw FieldGuard.invalid(path + ".token_bucket", "a per-route local rate limit needs a token bucket");
        }
        Optional<TokenBucketConfig> bucket =
                l.hasTokenBucket() ? Optional.of(bucket(l.getTokenBucket(), path + ".token_bucket")) : Optional.empty();
        int status = 429;
        if (l.hasStatus()) {
            FieldGuard.onlyFields(l.getStatus(), path + ".status", Set.of("code"));
            int code = l.getStatus().getCodeValue();
            status = code >= 400 && code <= 599 ? code : 429; // as Envoy: below 400 means 429
        }
        if (l.getStage() > 10) {
            throw FieldGuard.invalid(path + ".stage", "must be 0..10");
        }
        boolean xHeaders = switch (l.getEnableXRatelimitHeaders()) {
            case OFF -> false;
            case DRAFT_VERSION_03 -> true;
            default -> throw FieldGuard.invalid(path + ".enable_x_ratelimit_headers", "unknown version");
        };
        List<LocalRateLimitConfig.Descriptor> descriptors = new ArrayList<>();
        for (int i = 0; i < l.getDescriptorsCount(); i++) {
            descriptors.add(descriptor(l.getDescriptors(i), path + ".descriptors[" + i + "]"));
        }
        List<RateLimitPolicy> policies = new ArrayList<>();
        for (int i = 0; i < l.getRateLimitsCount(); i++) {
            policies.add(policy(l.getRateLimits(i), path + ".rate_limits[" + i + "]"));
        }
        return new LocalRateLimitConfig(
                l.getStatPrefix(),
                status,
                bucket,
                runtimeFraction(l.hasFilterEnabled(), l.getFilterEnabled(), path + ".filter_enabled"),
                runtimeFraction(l.hasFilterEnforced(), l.getFilterEnforced(), path + ".filter_enforced"),
                RouteTranslator.headers(
                        l.getRequestHeadersToAddWhenNotEnforcedList(),
                        List.of(),
                        path + ".request_headers_to_add_when_not_enforced"),
                RouteTranslator.headers(l.getResponseHeadersToAddList(), List.of(), path + ".response_headers_to_add"),
                descriptors,
                l.getStage(),
                xHeaders,
                !l.hasAlwaysConsumeDefaultTokenBucket()
                        || l.getAlwaysConsumeDefaultTokenBucket().getValue(),
                l.getRateLimitedAsResourceExhausted(),
                policies);
    }

    /** Envoy's default for {@code filter_enabled} and {@code filter_enforced} is 0%: unset means never. */
    private static double runtimeFraction(boolean present, RuntimeFractionalPercent p, String path) {
        if (!present) {
            return 0.0;
        }
        // runtime_key names a runtime override; the waypoint has no runtime, so default_value always decides
        FieldGuard.onlyFields(p, path, Set.of("default_value", "runtime_key"));
        if (!p.hasDefaultValue()) {
            return 0.0;
        }
        FieldGuard.onlyFields(p.getDefaultValue(), path + ".default_value", Set.of("numerator", "denominator"));
        return ProtoValues.fraction(p.getDefaultValue(), path + ".default_value");
    }

    static TokenBucketConfig bucket(TokenBucket b, String path) {
        FieldGuard.onlyFields(b, path, Set.of("max_tokens", "tokens_per_fill", "fill_interval"));
        if (b.getMaxTokens() == 0) {
            throw FieldGuard.invalid(path + ".max_tokens", "must be above 0");
        }
        long perFill = b.hasTokensPerFill()
                ? Integer.toUnsignedLong(b.getTokensPerFill().getValue())
                : 1;
        if (perFill == 0) {
            throw FieldGuard.invalid(path + ".tokens_per_fill", "must be above 0");
        }
        if (!b.hasFillInterval()) {
            throw FieldGuard.invalid(path + ".fill_interval", "required");
        }
        var interval = ProtoValues.duration(b.getFillInterval());
        if (interval.toMillis() < 50) {
            throw FieldGuard.invalid(path + ".fill_interval", "must be at least 50ms (as Envoy)");
        }
        return new TokenBucketConfig(Integer.toUnsignedLong(b.getMaxTokens()), perFill, interval);
    }

    private static LocalRateLimitConfig.Descriptor descriptor(LocalRateLimitDescriptor d, String path) {
        FieldGuard.onlyFields(d, path, Set.of("entries", "token_bucket"));
        if (d.getEntriesCount() == 0) {
            throw FieldGuard.invalid(path + ".entries", "a descriptor needs at least one entry");
        }
        if (!d.hasTokenBucket()) {
            throw FieldGuard.invalid(path + ".token_bucket", "required");
        }
        List<LocalRateLimitConfig.Entry> entries = new ArrayList<>();
        for (int i = 0; i < d.getEntriesCount(); i++) {
            RateLimitDescriptor.Entry e = d.getEntries(i);
            String epath = path + ".entries[" + i + "]";
            FieldGuard.onlyFields(e, epath, Set.of("key", "value"));
            if (e.getKey().isEmpty()) {
                throw FieldGuard.invalid(epath + ".key", "required");
            }
            if (e.getValue().isEmpty()) {
                throw new UnsupportedConfigException("unsupported " + epath
                        + ".value: empty (a wildcard descriptor with per-value buckets is not implemented)");
            }
            entries.add(new LocalRateLimitConfig.Entry(e.getKey(), e.getValue()));
        }
        return new LocalRateLimitConfig.Descriptor(entries, bucket(d.getTokenBucket(), path + ".token_bucket"));
    }

    /** A route's {@code rate_limits} entry. */
    static RateLimitPolicy policy(RateLimit r, String path) {
        FieldGuard.onlyFields(r, path, Set.of("stage", "actions"));
        if (r.getActionsCount() == 0) {
            throw FieldGuard.invalid(path + ".actions", "a rate limit needs at least one action");
        }
        List<RateLimitAction> actions = new ArrayList<>();
        for (int i = 0; i < r.getActionsCount(); i++) {
            actions.add(action(r.getActions(i), path + ".actions[" + i + "]"));
        }
        return new RateLimitPolicy(r.hasStage() ? r.getStage().getValue() : 0, actions);
    }

    private static RateLimitAction action(RateLimit.Action a, String path) {
        return switch (a.getActionSpecifierCase()) {
            case REQUEST_HEADERS -> {
                var h = a.getRequestHeaders();
                FieldGuard.onlyFields(
                        h, path + ".request_headers", Set.of("header_name", "descriptor_key", "skip_if_absent"));
                if (h.getHeaderName().isEmpty() || h.getDescriptorKey().isEmpty()) {
                    throw FieldGuard.invalid(path + ".request_headers", "header_name and descriptor_key are required");
                }
                yield new RateLimitAction.RequestHeaders(
                        h.getHeaderName().toLowerCase(java.util.Locale.ROOT),
                        h.getDescriptorKey(),
                        h.getSkipIfAbsent());
            }
            case GENERIC_KEY -> {
                var g = a.getGenericKey();
                FieldGuard.onlyFields(g, path + ".generic_key", Set.of("descriptor_key", "descriptor_value"));
                if (g.getDescriptorValue().isEmpty()) {
                    throw FieldGuard.invalid(path + ".generic_key.descriptor_value", "required");
                }
                yield new RateLimitAction.GenericKey(
                        g.getDescriptorKey().isEmpty() ? "generic_key" : g.getDescriptorKey(), g.getDescriptorValue());
            }
            case HEADER_VALUE_MATCH -> {
                var m = a.getHeaderValueMatch();
                String mpath = path + ".header_value_match";
                FieldGuard.onlyFields(
                        m, mpath, Set.of("descriptor_key", "descriptor_value", "expect_match", "headers"));
                if (m.getDescriptorValue().isEmpty()) {
                    throw FieldGuard.invalid(mpath + ".descriptor_value", "required");
                }
                List<HeaderMatch> headers = new ArrayList<>();
                for (int i = 0; i < m.getHeadersCount(); i++) {
                    headers.add(MatcherTranslator.header(m.getHeaders(i), mpath + ".headers[" + i + "]"));
                }
                yield new RateLimitAction.HeaderValueMatch(
                        m.getDescriptorKey().isEmpty() ? "header_match" : m.getDescriptorKey(),
                        m.getDescriptorValue(),
                        !m.hasExpectMatch() || m.getExpectMatch().getValue(),
                        headers);
            }
            case REMOTE_ADDRESS -> {
                FieldGuard.onlyFields(a.getRemoteAddress(), path + ".remote_address", Set.of());
                yield new RateLimitAction.RemoteAddress();
            }
            case ACTIONSPECIFIER_NOT_SET -> throw FieldGuard.invalid(path, "an action needs a kind");
            default ->
                throw new UnsupportedConfigException("unsupported rate limit action " + path + "."
                        + ProtoTypes.descriptorOf(a.getClass())
                                .findFieldByNumber(a.getActionSpecifierCase().getNumber())
                                .getName()
                        + " (the waypoint implements request_headers, generic_key, header_value_match,"
                        + " remote_address)");
        };
    }
}
