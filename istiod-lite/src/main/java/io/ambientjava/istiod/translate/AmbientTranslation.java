package io.ambientjava.istiod.translate;

import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.workload.Address;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The workload xDS resources for one config snapshot, by resource name: addresses by workload UID or
 * {@code namespace/hostname}, authorizations by {@code namespace/name}; and what could not be translated fully.
 */
public record AmbientTranslation(
        SortedMap<String, Address> addresses,
        SortedMap<String, Authorization> authorizations,
        List<TranslationWarning> warnings) {

    public AmbientTranslation {
        addresses = Collections.unmodifiableSortedMap(new TreeMap<>(addresses));
        authorizations = Collections.unmodifiableSortedMap(new TreeMap<>(authorizations));
        warnings = List.copyOf(warnings);
    }
}
