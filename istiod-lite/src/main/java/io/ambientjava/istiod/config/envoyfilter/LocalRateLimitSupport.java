package io.ambientjava.istiod.config.envoyfilter;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.ambientjava.istiod.config.yaml.FieldIssue;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import java.util.List;
import java.util.Set;

/**
 * What of Envoy's {@code LocalRateLimit} and {@code RateLimit} the waypoint implements (the same list its xDS
 * client checks), so that an EnvoyFilter asking for more is refused when it is written, not NACKed later.
 */
final class LocalRateLimitSupport {

    static final Set<String> FILTER_FIELDS = Set.of(
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

    private static final Set<String> RATE_LIMIT_FIELDS = Set.of("stage", "actions");
    private static final Set<String> ACTIONS =
            Set.of("request_headers", "generic_key", "header_value_match", "remote_address");

    private LocalRateLimitSupport() {}

    /** @param perRoute a route's config, which Envoy requires to carry a token bucket */
    static void check(LocalRateLimit config, String path, boolean perRoute, List<FieldIssue> issues) {
        unsupportedFields(config, path, FILTER_FIELDS, issues);
        if (config.getStatPrefix().isEmpty()) {
            issues.add(FieldIssue.error(path + ".stat_prefix", "required"));
        }
        if (perRoute && !config.hasTokenBucket()) {
            issues.add(FieldIssue.error(path + ".token_bucket", "a per-route local rate limit needs a token bucket"));
        }
        if (config.hasTokenBucket()) {
            checkBucket(config.getTokenBucket(), path + ".token_bucket", issues);
        }
        for (int i = 0; i < config.getDescriptorsCount(); i++) {
            var descriptor = config.getDescriptors(i);
            String dpath = path + ".descriptors[" + i + "]";
            if (descriptor.getEntriesCount() == 0) {
                issues.add(FieldIssue.error(dpath + ".entries", "a descriptor needs at least one entry"));
            }
            for (int j = 0; j < descriptor.getEntriesCount(); j++) {
                if (descriptor.getEntries(j).getValue().isEmpty()) {
                    issues.add(FieldIssue.error(
                            dpath + ".entries[" + j + "].value",
                            "an empty value (a wildcard descriptor with per-value buckets) is not supported"));
                }
            }
            if (!descriptor.hasTokenBucket()) {
                issues.add(FieldIssue.error(dpath + ".token_bucket", "required"));
            } else {
                checkBucket(descriptor.getTokenBucket(), dpath + ".token_bucket", issues);
            }
        }
        for (int i = 0; i < config.getRateLimitsCount(); i++) {
            checkRateLimit(config.getRateLimits(i), path + ".rate_limits[" + i + "]", issues);
        }
    }

    static void checkRateLimit(RateLimit rateLimit, String path, List<FieldIssue> issues) {
        unsupportedFields(rateLimit, path, RATE_LIMIT_FIELDS, issues);
        if (rateLimit.getActionsCount() == 0) {
            issues.add(FieldIssue.error(path + ".actions", "a rate limit needs at least one action"));
        }
        for (int i = 0; i < rateLimit.getActionsCount(); i++) {
            var action = rateLimit.getActions(i);
            for (FieldDescriptor field : action.getAllFields().keySet()) {
                if (!ACTIONS.contains(field.getName())) {
                    issues.add(FieldIssue.error(
                            path + ".actions[" + i + "]." + field.getName(),
                            "not supported (supported actions: request_headers, generic_key, header_value_match,"
                                    + " remote_address)"));
                }
            }
        }
    }

    private static void checkBucket(
            io.envoyproxy.envoy.type.v3.TokenBucket bucket, String path, List<FieldIssue> issues) {
        if (bucket.getMaxTokens() == 0) {
            issues.add(FieldIssue.error(path + ".max_tokens", "must be above 0"));
        }
        if (bucket.hasTokensPerFill() && bucket.getTokensPerFill().getValue() == 0) {
            issues.add(FieldIssue.error(path + ".tokens_per_fill", "must be above 0"));
        }
        long millis = bucket.getFillInterval().getSeconds() * 1000
                + bucket.getFillInterval().getNanos() / 1_000_000;
        if (!bucket.hasFillInterval()) {
            issues.add(FieldIssue.error(path + ".fill_interval", "required"));
        } else if (millis < 50) {
            issues.add(FieldIssue.error(path + ".fill_interval", "must be at least 50ms (as Envoy requires)"));
        }
    }

    private static void unsupportedFields(
            Message message, String path, Set<String> supported, List<FieldIssue> issues) {
        for (FieldDescriptor field : message.getAllFields().keySet()) {
            if (!supported.contains(field.getName())) {
                issues.add(FieldIssue.error(path + "." + field.getName(), "not supported by the waypoint"));
            }
        }
    }
}
