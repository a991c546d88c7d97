package io.ambientjava.ztunnel.state;

import java.util.Objects;

/** Where a workload runs, for locality-aware load balancing. Empty strings when unknown. */
public record Locality(String region, String zone, String subzone) {

    private static final Locality UNKNOWN = new Locality("", "", "");

    public Locality {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(subzone, "subzone");
    }

    public static Locality unknown() {
        return UNKNOWN;
    }
}
