package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Envoy's choice of a filter chain by the server name a client sends (SNI) among the chains'
 * {@code filter_chain_match.server_names}: an exact name first, then the longest {@code *.suffix} wildcard
 * ({@code *.example.org} takes {@code a.example.org}, not {@code example.org}); names are case-insensitive.
 */
final class ServerNames {

    private ServerNames() {}

    /** The chain for {@code serverName}, or empty when it is null or no chain names it. */
    static <T> Optional<T> pick(List<T> chains, Function<T, List<String>> namesOf, String serverName) {
        if (serverName == null) {
            return Optional.empty();
        }
        String name = serverName.toLowerCase(Locale.ROOT);
        for (T chain : chains) {
            if (namesOf.apply(chain).contains(name)) {
                return Optional.of(chain);
            }
        }
        T best = null;
        int bestLength = -1;
        for (T chain : chains) {
            for (String pattern : namesOf.apply(chain)) {
                if (pattern.startsWith("*.") && name.endsWith(pattern.substring(1)) && pattern.length() > bestLength) {
                    best = chain;
                    bestLength = pattern.length();
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** Lower-cased names, each an exact name or a {@code *.suffix} wildcard; a bad one is refused at {@code path}. */
    static List<String> checked(List<String> names, String path) {
        for (String name : names) {
            if (name.isBlank() || (name.contains("*") && !(name.startsWith("*.") && name.indexOf('*', 1) < 0))) {
                throw FieldGuard.invalid(path, "'" + name + "' is neither a name nor a *.suffix wildcard");
            }
        }
        return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
    }
}
