package io.ambientjava.ztunnel.state.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of L4 authorization for one connection.
 *
 * @param enforced what is enforced: dry-run policies left out
 * @param withDryRun what the outcome would be with the applicable dry-run policies enforced too; present only when
 *     dry-run policies apply, so a caller can report a dry-run policy that would change the outcome
 */
public record AuthorizationDecision(Verdict enforced, Optional<Verdict> withDryRun) {

    /** Reason when a DENY policy matched: followed by the policy key. */
    public static final String DENIED_BY_POLICY = "denied by policy ";
    /** Reason when ALLOW policies apply and none matched. */
    public static final String NO_ALLOW_MATCHED = "allow policies exist but none matched";
    /** Reason when an ALLOW policy matched: followed by the policy key. */
    public static final String ALLOWED_BY_POLICY = "allowed by policy ";
    /** Reason when no DENY policy matched and no ALLOW policy applies. */
    public static final String NO_ALLOW_POLICIES = "no allow policies apply";

    public AuthorizationDecision {
        Objects.requireNonNull(enforced, "enforced");
        Objects.requireNonNull(withDryRun, "withDryRun");
    }

    public boolean allowed() {
        return enforced.allowed();
    }

    public String reason() {
        return enforced.reason();
    }

    /** Whether enforcing the dry-run policies would change allowed/denied. */
    public boolean dryRunWouldChange() {
        return withDryRun.map(v -> v.allowed() != enforced.allowed()).orElse(false);
    }

    /**
     * One evaluation's result.
     *
     * @param reason human-readable, e.g. {@code denied by policy istio-system/istio_converted_static_strict}
     * @param policy the key of the policy that decided, when one did
     */
    public record Verdict(boolean allowed, String reason, Optional<String> policy) {

        public Verdict {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(policy, "policy");
        }

        static Verdict deniedBy(Authorization policy) {
            return new Verdict(false, DENIED_BY_POLICY + policy.key(), Optional.of(policy.key()));
        }

        static Verdict allowedBy(Authorization policy) {
            return new Verdict(true, ALLOWED_BY_POLICY + policy.key(), Optional.of(policy.key()));
        }

        static Verdict noAllowMatched() {
            return new Verdict(false, NO_ALLOW_MATCHED, Optional.empty());
        }

        static Verdict noAllowPolicies() {
            return new Verdict(true, NO_ALLOW_POLICIES, Optional.empty());
        }
    }
}
