package io.ambientjava.istiod.xds;

import io.ambientjava.istiod.translate.envoy.EnvoyTranslation;
import io.ambientjava.istiod.translate.envoy.ProxyId;
import io.ambientjava.istiod.translate.envoy.ProxyResources;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The Envoy resources of every waypoint and gateway at one moment, each proxy's as an {@link XdsSnapshot} of the
 * four Envoy types (a proxy with nothing configured yet gets four empty types). Immutable.
 *
 * @param version increases with every change to any proxy's resources
 */
public record ProxySnapshots(long version, Map<ProxyId, XdsSnapshot> proxies) {

    public ProxySnapshots {
        proxies = Collections.unmodifiableMap(new TreeMap<>(proxies));
    }

    public static ProxySnapshots empty() {
        return new ProxySnapshots(0, Map.of());
    }

    static ProxySnapshots of(long version, EnvoyTranslation translation) {
        Map<ProxyId, XdsSnapshot> proxies = new HashMap<>();
        translation.proxies().forEach((id, resources) -> proxies.put(id, snapshot(version, resources)));
        return new ProxySnapshots(version, proxies);
    }

    /** What one proxy is served. */
    public XdsSnapshot of(ProxyId proxy) {
        XdsSnapshot snapshot = proxies.get(proxy);
        return snapshot != null ? snapshot : snapshot(version, ProxyResources.empty());
    }

    /** Same proxies with resources of the same versions. */
    boolean sameAs(ProxySnapshots other) {
        if (!proxies.keySet().equals(other.proxies.keySet())) {
            return false;
        }
        for (var entry : proxies.entrySet()) {
            XdsSnapshot theirs = other.proxies.get(entry.getKey());
            for (String type : TypeUrls.ENVOY_TYPES) {
                if (!versions(entry.getValue().of(type)).equals(versions(theirs.of(type)))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Map<String, String> versions(SortedMap<String, XdsResource> resources) {
        Map<String, String> versions = new HashMap<>();
        resources.forEach((name, resource) -> versions.put(name, resource.version()));
        return versions;
    }

    private static XdsSnapshot snapshot(long version, ProxyResources resources) {
        return new XdsSnapshot(
                version,
                Map.of(
                        TypeUrls.LISTENER, encode(resources.listeners()),
                        TypeUrls.ROUTE, encode(resources.routes()),
                        TypeUrls.CLUSTER, encode(resources.clusters()),
                        TypeUrls.ENDPOINT, encode(resources.endpoints())));
    }

    private static SortedMap<String, XdsResource> encode(Map<String, ? extends com.google.protobuf.Message> byName) {
        SortedMap<String, XdsResource> encoded = new TreeMap<>();
        byName.forEach((name, message) -> encoded.put(name, XdsResource.of(name, message)));
        return encoded;
    }
}
