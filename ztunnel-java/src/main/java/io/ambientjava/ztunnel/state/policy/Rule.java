package io.ambientjava.ztunnel.state.policy;

import java.util.List;

/**
 * One rule of a policy: matches when ALL its clauses (its from / to / when parts) match. Upstream's proto calls this
 * message {@code Group}.
 */
public record Rule(List<Clause> clauses) {

    public Rule {
        clauses = List.copyOf(clauses);
    }

    public static Rule of(Clause... clauses) {
        return new Rule(List.of(clauses));
    }

    /** A rule of one clause holding one match. */
    public static Rule of(Match match) {
        return new Rule(List.of(Clause.of(match)));
    }

    boolean matches(InboundConnection c) {
        return clauses.stream().allMatch(clause -> clause.matches(c));
    }
}
