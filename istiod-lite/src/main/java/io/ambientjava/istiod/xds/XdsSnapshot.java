package io.ambientjava.istiod.xds;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every resource the server offers at one moment, per type URL and name. Immutable.
 *
 * @param version increases with every snapshot that differs from the one before
 */
public record XdsSnapshot(long version, Map<String, SortedMap<String, XdsResource>> resources) {

    public XdsSnapshot {
        TreeMap<String, SortedMap<String, XdsResource>> copy = new TreeMap<>();
        resources.forEach((type, byName) -> copy.put(type, Collections.unmodifiableSortedMap(new TreeMap<>(byName))));
        resources = Collections.unmodifiableMap(copy);
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
}
