/**
 * L4 authorization as ztunnel enforces it: {@link io.ambientjava.ztunnel.state.policy.Authorization} policies (rules
 * of clauses of matches) and the {@link io.ambientjava.ztunnel.state.policy.AuthorizationEvaluator} that applies
 * Istio's order (DENY, then ALLOW) to an {@link io.ambientjava.ztunnel.state.policy.InboundConnection}.
 */
package io.ambientjava.ztunnel.state.policy;
