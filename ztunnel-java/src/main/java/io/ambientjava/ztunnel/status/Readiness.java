package io.ambientjava.ztunnel.status;

import java.util.Objects;

/**
 * Whether a ztunnel is ready, and if not, why (shown by {@code /healthz/ready}).
 *
 * @param reason what is still missing; empty when ready
 */
public record Readiness(boolean ready, String reason) {

    public static final Readiness READY = new Readiness(true, "");

    public Readiness {
        Objects.requireNonNull(reason, "reason");
    }

    public static Readiness notReady(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a not-ready state needs a reason");
        }
        return new Readiness(false, reason);
    }
}
