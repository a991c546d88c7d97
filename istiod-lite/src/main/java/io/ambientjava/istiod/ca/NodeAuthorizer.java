package io.ambientjava.istiod.ca;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Decides whether a node agent may obtain a certificate for another identity, the way istiod's node authorizer
 * does: the caller's account must be a trusted node agent account ({@code istio-system/ztunnel} by default), its
 * credential must name its node, and a pod running with the requested service account in the requested namespace
 * must be scheduled on that node in the current configuration.
 */
public final class NodeAuthorizer {

    public static final Set<String> DEFAULT_TRUSTED_ACCOUNTS = Set.of("istio-system/ztunnel");

    private final Set<String> trustedAccounts;
    private final Supplier<ConfigSnapshot> config;

    public NodeAuthorizer(Set<String> trustedAccounts, Supplier<ConfigSnapshot> config) {
        this.trustedAccounts = Set.copyOf(trustedAccounts);
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Empty when allowed, else the reason for refusing. */
    public Optional<String> checkImpersonation(Caller caller, SpiffeId requested) {
        if (!trustedAccounts.contains(caller.account())) {
            return Optional.of("caller " + caller.account() + " is not a trusted node agent account " + trustedAccounts
                    + " and may only request its own identity");
        }
        if (caller.node().isEmpty()) {
            return Optional.of("the credential of node agent " + caller.account() + " names no node");
        }
        if (!requested.trustDomain().equals(caller.identity().trustDomain())) {
            return Optional.of("identity " + requested + " is outside the trust domain "
                    + caller.identity().trustDomain());
        }
        String node = caller.node().get();
        boolean podOnNode = config.get().pods().stream().anyMatch(pod -> runsAs(pod, requested) && onNode(pod, node));
        if (!podOnNode) {
            return Optional.of("no pod with service account " + requested.namespace() + "/" + requested.serviceAccount()
                    + " runs on node " + node);
        }
        return Optional.empty();
    }

    private static boolean runsAs(Pod pod, SpiffeId identity) {
        if (!identity.namespace().equals(pod.getMetadata().getNamespace())) {
            return false;
        }
        String account = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
        if (account == null || account.isEmpty()) {
            account = "default";
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return account.equals(identity.serviceAccount()) && !"Succeeded".equals(phase) && !"Failed".equals(phase);
    }

    private static boolean onNode(Pod pod, String node) {
        return pod.getSpec() != null && node.equals(pod.getSpec().getNodeName());
    }
}
