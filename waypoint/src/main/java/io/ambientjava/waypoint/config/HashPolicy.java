package io.ambientjava.waypoint.config;

/** Envoy's route {@code hash_policy} entries that consistent-hash load balancing uses. */
public sealed interface HashPolicy {

    boolean terminal();

    record Header(String name, boolean terminal) implements HashPolicy {}

    record Cookie(String name, boolean terminal) implements HashPolicy {}

    record SourceIp(boolean terminal) implements HashPolicy {}

    record QueryParameter(String name, boolean terminal) implements HashPolicy {}
}
