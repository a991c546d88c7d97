package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.ambientjava.istiod.config.IstioDurations;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRetry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An Istio {@code retries} block as Envoy's {@link RetryPolicy}. Without one, Istio's default applies: 2 retries on
 * connect failures, refused streams, {@code unavailable}, {@code cancelled} and 503, on another host each time.
 * {@code attempts: 0} turns retries off. Numbers in {@code retryOn} are retriable status codes.
 */
final class RetryPolicies {

    static final String DEFAULT_RETRY_ON =
            "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    private RetryPolicies() {}

    static Optional<RetryPolicy> translate(HTTPRetry retries) {
        if (retries == null) {
            return Optional.of(base(2, DEFAULT_RETRY_ON, List.of(503)).build());
        }
        if (retries.getAttempts() == null || retries.getAttempts() <= 0) {
            return Optional.empty();
        }
        String retryOn = DEFAULT_RETRY_ON;
        List<Integer> statusCodes = List.of(503);
        if (retries.getRetryOn() != null && !retries.getRetryOn().isBlank()) {
            List<String> policies = new ArrayList<>();
            List<Integer> codes = new ArrayList<>();
            for (String part : retries.getRetryOn().split(",")) {
                String item = part.trim();
                if (item.isEmpty()) {
                    continue;
                }
                if (item.chars().allMatch(Character::isDigit)) {
                    codes.add(Integer.parseInt(item));
                } else {
                    policies.add(item);
                }
            }
            if (!codes.isEmpty() && !policies.contains("retriable-status-codes")) {
                policies.add("retriable-status-codes");
            }
            retryOn = String.join(",", policies);
            statusCodes = codes;
        }
        RetryPolicy.Builder policy = base(retries.getAttempts(), retryOn, statusCodes);
        IstioDurations.parse(retries.getPerTryTimeout()).ifPresent(policy::setPerTryTimeout);
        if (Boolean.FALSE.equals(retries.getRetryIgnorePreviousHosts())) {
            policy.clearRetryHostPredicate();
        }
        IstioDurations.parse(retries.getBackoff())
                .ifPresent(b -> policy.setRetryBackOff(
                        RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(b)));
        return Optional.of(policy.build());
    }

    private static RetryPolicy.Builder base(int attempts, String retryOn, List<Integer> statusCodes) {
        return RetryPolicy.newBuilder()
                .setNumRetries(UInt32Value.of(attempts))
                .setRetryOn(retryOn)
                .addAllRetriableStatusCodes(statusCodes)
                .addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
                        .setName("envoy.retry_host_predicates.previous_hosts")
                        .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
                .setHostSelectionRetryMaxAttempts(5);
    }
}
