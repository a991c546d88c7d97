package io.ambientjava.ztunnel.state.policy;

import java.util.List;

/**
 * Alternatives for one part of a rule (e.g. its {@code from}): matches when ANY of its matches does. A clause with
 * no matches places no condition. Upstream's proto calls this message {@code Rules}.
 */
public record Clause(List<Match> matches) {

    public Clause {
        matches = List.copyOf(matches);
    }

    public static Clause of(Match... matches) {
        return new Clause(List.of(matches));
    }

    boolean matches(InboundConnection c) {
        return matches.isEmpty() || matches.stream().anyMatch(m -> m.matches(c));
    }
}
