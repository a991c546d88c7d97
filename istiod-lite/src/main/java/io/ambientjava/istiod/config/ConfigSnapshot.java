package io.ambientjava.istiod.config;

import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every valid resource at one moment, keyed by {@link ResourceKey}. Immutable: sources build a new snapshot for
 * every change. Iteration order is the key order, so everything derived from a snapshot is deterministic.
 */
public final class ConfigSnapshot {

    private static final ConfigSnapshot EMPTY = new ConfigSnapshot(0, List.of());

    private final long generation;
    private final SortedMap<ResourceKey, ConfigResource> resources;
    private final Map<ResourceKind, List<ConfigResource>> byKind;

    private ConfigSnapshot(long generation, Collection<ConfigResource> resources) {
        this.generation = generation;
        TreeMap<ResourceKey, ConfigResource> map = new TreeMap<>();
        for (ConfigResource resource : resources) {
            ConfigResource previous = map.put(resource.key(), resource);
            if (previous != null) {
                throw new IllegalArgumentException("two resources with key " + resource.key() + ": "
                        + previous.location() + " and " + resource.location());
            }
        }
        this.resources = Collections.unmodifiableSortedMap(map);
        EnumMap<ResourceKind, List<ConfigResource>> kinds = new EnumMap<>(ResourceKind.class);
        map.values()
                .forEach(r -> kinds.computeIfAbsent(r.key().kind(), k -> new java.util.ArrayList<>())
                        .add(r));
        kinds.replaceAll((k, v) -> List.copyOf(v));
        this.byKind = Collections.unmodifiableMap(kinds);
    }

    public static ConfigSnapshot empty() {
        return EMPTY;
    }

    public static ConfigSnapshot of(long generation, Collection<ConfigResource> resources) {
        return new ConfigSnapshot(generation, resources);
    }

    /** Increases with every snapshot a source publishes. */
    public long generation() {
        return generation;
    }

    public SortedMap<ResourceKey, ConfigResource> resources() {
        return resources;
    }

    public List<ConfigResource> all(ResourceKind kind) {
        return byKind.getOrDefault(kind, List.of());
    }

    public <T extends HasMetadata> List<T> all(ResourceKind kind, Class<T> type) {
        return all(kind).stream().map(r -> r.as(type)).toList();
    }

    public Optional<ConfigResource> get(ResourceKey key) {
        return Optional.ofNullable(resources.get(key));
    }

    public <T extends HasMetadata> Optional<T> get(ResourceKind kind, String namespace, String name, Class<T> type) {
        return get(new ResourceKey(kind, kind.namespaced() ? namespace : "", name))
                .map(r -> r.as(type));
    }

    public List<Namespace> namespaces() {
        return all(ResourceKind.NAMESPACE, Namespace.class);
    }

    public Optional<Namespace> namespace(String name) {
        return get(ResourceKind.NAMESPACE, "", name, Namespace.class);
    }

    public List<Pod> pods() {
        return all(ResourceKind.POD, Pod.class);
    }

    public List<Service> services() {
        return all(ResourceKind.SERVICE, Service.class);
    }

    public List<PeerAuthentication> peerAuthentications() {
        return all(ResourceKind.PEER_AUTHENTICATION, PeerAuthentication.class);
    }

    public List<AuthorizationPolicy> authorizationPolicies() {
        return all(ResourceKind.AUTHORIZATION_POLICY, AuthorizationPolicy.class);
    }

    /** Gateway API gateways; waypoints are among them. */
    public List<Gateway> gateways() {
        return all(ResourceKind.GATEWAY, Gateway.class);
    }

    /** Same resources (model equality), whatever the generation. */
    public boolean sameResourcesAs(ConfigSnapshot other) {
        Objects.requireNonNull(other, "other");
        if (resources.size() != other.resources.size()) {
            return false;
        }
        for (var entry : resources.entrySet()) {
            ConfigResource theirs = other.resources.get(entry.getKey());
            if (theirs == null || !theirs.object().equals(entry.getValue().object())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "ConfigSnapshot{generation=" + generation + ", resources=" + resources.size() + "}";
    }
}
