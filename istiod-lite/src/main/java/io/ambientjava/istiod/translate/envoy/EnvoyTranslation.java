package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.translate.TranslationWarning;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** The Envoy resources of every waypoint and gateway of one config snapshot, and what could not be translated. */
public record EnvoyTranslation(SortedMap<ProxyId, ProxyResources> proxies, List<TranslationWarning> warnings) {

    public EnvoyTranslation {
        proxies = Collections.unmodifiableSortedMap(new TreeMap<>(proxies));
        warnings = List.copyOf(warnings);
    }

    public static EnvoyTranslation empty() {
        return new EnvoyTranslation(new TreeMap<>(Map.of()), List.of());
    }

    public ProxyResources of(ProxyId proxy) {
        return proxies.getOrDefault(proxy, ProxyResources.empty());
    }
}
