package io.ambientjava.istiod.xds;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every resource the server offers at one moment, per type URL and name. Immutable.
 *
 * @param version increases with every snapshot that differs from the one before
 * @param changes per type URL, the names added, changed or removed since the snapshot {@code version - 1}; a type
 *     without an entry has unknown changes. Streams whose client holds exactly that previous snapshot diff only
 *     these names instead of every resource, which keeps a one-pod change cheap with thousands of resources.
 */
public record XdsSnapshot(
        long version, Map<String, SortedMap<String, XdsResource>> resources, Map<String, Set<String>> changes) {

    public XdsSnapshot {
        TreeMap<String, SortedMap<String, XdsResource>> copy = new TreeMap<>();
        resources.forEach((type, byName) -> copy.put(type, Collections.unmodifiableSortedMap(new TreeMap<>(byName))));
        resources = Collections.unmodifiableMap(copy);
        changes = Map.copyOf(changes);
    }

    /** A snapshot whose differences to the one before are not known. */
    public XdsSnapshot(long version, Map<String, SortedMap<String, XdsResource>> resources) {
        this(version, resources, Map.of());
    }

    public static XdsSnapshot empty() {
        return new XdsSnapshot(0, Map.of(TypeUrls.ADDRESS, new TreeMap<>(), TypeUrls.AUTHORIZATION, new TreeMap<>()));
    }

    public SortedMap<String, XdsResource> of(String typeUrl) {
        return resources.getOrDefault(typeUrl, Collections.emptySortedMap());
    }

    public boolean serves(String typeUrl) {
        return resources.containsKey(typeUrl);
    }

    /** The names of this type that differ from snapshot {@code version - 1}, when known. */
    public Optional<Set<String>> changedSincePrevious(String typeUrl) {
        return Optional.ofNullable(changes.get(typeUrl));
    }
}
