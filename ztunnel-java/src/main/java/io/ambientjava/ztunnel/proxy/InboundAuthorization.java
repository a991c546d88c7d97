package io.ambientjava.ztunnel.proxy;

import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.policy.AuthorizationDecision;
import io.ambientjava.ztunnel.state.policy.AuthorizationEvaluator;
import io.ambientjava.ztunnel.state.policy.InboundConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** L4 authorization of inbound connections, with dry-run policies that would change the outcome logged. */
public final class InboundAuthorization {

    private static final Logger log = LoggerFactory.getLogger(InboundAuthorization.class);

    private InboundAuthorization() {}

    public static AuthorizationDecision evaluate(StateSnapshot snapshot, InboundConnection connection) {
        AuthorizationDecision decision = AuthorizationEvaluator.evaluate(snapshot, connection);
        if (decision.dryRunWouldChange()) {
            log.info(
                    "dry-run policy would {} {}: {}",
                    decision.allowed() ? "deny" : "allow",
                    connection,
                    decision.withDryRun().map(v -> v.reason()).orElse(""));
        }
        return decision;
    }
}
