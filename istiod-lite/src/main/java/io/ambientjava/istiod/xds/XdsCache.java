package io.ambientjava.istiod.xds;

import com.google.protobuf.Message;
import io.ambientjava.istiod.translate.AmbientTranslation;
import io.ambientjava.istiod.translate.envoy.EnvoyTranslation;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current {@link XdsSnapshot}. A new translation replaces it only when some resource differs; resources whose
 * content did not change keep their object and version, so streams send only the differences.
 */
public final class XdsCache {

    private static final Logger log = LoggerFactory.getLogger(XdsCache.class);

    private final List<Consumer<XdsSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile XdsSnapshot current = XdsSnapshot.empty();
    // The translated messages behind current's resources (guarded by this), to skip re-versioning equal ones.
    private Map<String, ? extends Message> addressMessages = Map.of();
    private Map<String, ? extends Message> authorizationMessages = Map.of();

    public XdsSnapshot current() {
        return current;
    }

    public void addListener(Consumer<XdsSnapshot> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Consumer<XdsSnapshot> listener) {
        listeners.remove(listener);
    }

    private final List<Runnable> proxyListeners = new CopyOnWriteArrayList<>();
    private volatile ProxySnapshots proxies = ProxySnapshots.empty();

    /** The Envoy resources of every waypoint and gateway. */
    public ProxySnapshots proxies() {
        return proxies;
    }

    public void addProxyListener(Runnable listener) {
        proxyListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeProxyListener(Runnable listener) {
        proxyListeners.remove(listener);
    }

    /**
     * Publishes the Envoy resources of a translation; returns true when any proxy's resources changed. Listeners
     * hear only of such changes, and each stream then sends its proxy only what differs.
     */
    public synchronized boolean updateProxies(EnvoyTranslation translation) {
        ProxySnapshots previous = proxies;
        ProxySnapshots next = ProxySnapshots.of(previous.version() + 1, translation);
        if (next.sameAs(previous)) {
            return false;
        }
        proxies = next;
        log.info(
                "envoy xds snapshot {}: {} waypoints and gateways",
                next.version(),
                next.proxies().size());
        for (Runnable listener : proxyListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.error("envoy xds snapshot listener failed", e);
            }
        }
        return true;
    }

    /** Publishes a translation; returns true when anything changed. */
    public synchronized boolean update(AmbientTranslation translation) {
        XdsSnapshot previous = current;
        Set<String> changedAddresses = new TreeSet<>();
        SortedMap<String, XdsResource> addresses =
                resources(translation.addresses(), previous.of(TypeUrls.ADDRESS), addressMessages, changedAddresses);
        Set<String> changedAuthorizations = new TreeSet<>();
        SortedMap<String, XdsResource> authorizations = resources(
                translation.authorizations(),
                previous.of(TypeUrls.AUTHORIZATION),
                authorizationMessages,
                changedAuthorizations);
        addressMessages = translation.addresses(); // unmodifiable already
        authorizationMessages = translation.authorizations();
        if (changedAddresses.isEmpty() && changedAuthorizations.isEmpty()) {
            return false;
        }
        XdsSnapshot next = new XdsSnapshot(
                previous.version() + 1,
                Map.of(TypeUrls.ADDRESS, addresses, TypeUrls.AUTHORIZATION, authorizations),
                Map.of(TypeUrls.ADDRESS, changedAddresses, TypeUrls.AUTHORIZATION, changedAuthorizations));
        current = next;
        log.info(
                "xds snapshot {}: {} addresses, {} authorizations",
                next.version(),
                addresses.size(),
                authorizations.size());
        for (Consumer<XdsSnapshot> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                log.error("xds snapshot listener failed", e);
            }
        }
        return true;
    }

    /**
     * The resources of one type, reusing the previous resource (and so its version) wherever the translated message
     * equals the one it was made from: versioning re-serializes and hashes a message, which for ten thousand
     * unchanged workloads cost more than the whole push of a one-pod change. Adds to {@code changed} the names
     * added, changed (another version) or removed.
     */
    private static SortedMap<String, XdsResource> resources(
            Map<String, ? extends Message> messages,
            SortedMap<String, XdsResource> previous,
            Map<String, ? extends Message> previousMessages,
            Set<String> changed) {
        SortedMap<String, XdsResource> resources = new TreeMap<>();
        messages.forEach((name, message) -> {
            XdsResource old = previous.get(name);
            if (old != null && message.equals(previousMessages.get(name))) {
                resources.put(name, old);
                return;
            }
            XdsResource made = XdsResource.of(name, message);
            resources.put(name, made);
            if (old == null || !old.version().equals(made.version())) {
                changed.add(name);
            }
        });
        for (String name : previous.keySet()) {
            if (!messages.containsKey(name)) {
                changed.add(name);
            }
        }
        return resources;
    }
}
