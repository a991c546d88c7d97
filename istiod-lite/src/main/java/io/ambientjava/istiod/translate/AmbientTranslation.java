package io.ambientjava.istiod.translate;

import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.workload.Address;
import io.ambientjava.istiod.translate.envoy.EnvoyTranslation;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The xDS resources for one config snapshot: the workload resources by name (addresses by workload UID or
 * {@code namespace/hostname}, authorizations by {@code namespace/name}), the Envoy resources of each waypoint and
 * gateway, and what could not be translated fully (both kinds of translation).
 */
public record AmbientTranslation(
        SortedMap<String, Address> addresses,
        SortedMap<String, Authorization> authorizations,
        EnvoyTranslation envoy,
        List<TranslationWarning> warnings) {

    public AmbientTranslation {
        addresses = Collections.unmodifiableSortedMap(new TreeMap<>(addresses));
        authorizations = Collections.unmodifiableSortedMap(new TreeMap<>(authorizations));
        java.util.Objects.requireNonNull(envoy, "envoy");
        warnings = List.copyOf(warnings);
    }

    /** Workload resources only (no waypoint or gateway configuration). */
    public AmbientTranslation(
            SortedMap<String, Address> addresses,
            SortedMap<String, Authorization> authorizations,
            List<TranslationWarning> warnings) {
        this(addresses, authorizations, EnvoyTranslation.empty(), warnings);
    }
}
