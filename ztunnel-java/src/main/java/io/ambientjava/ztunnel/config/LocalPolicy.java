package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.policy.Authorization;
import java.util.List;

/**
 * A {@code policies} entry. {@code rules} nests three lists, as upstream: rules (any) of clauses (all) of matches
 * (any).
 */
record LocalPolicy(
        String name,
        String namespace,
        Authorization.Scope scope,
        Authorization.Action action,
        List<List<List<LocalMatch>>> rules,
        Boolean dryRun) {}
