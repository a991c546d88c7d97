package io.ambientjava.istiod.translate.envoy;

import java.util.Objects;

/**
 * An Envoy-configured proxy istiod-lite serves: a waypoint (a Gateway API {@code Gateway} of class
 * {@code istio-waypoint}) or an ingress gateway (an Istio {@code Gateway}, or a Gateway API {@code Gateway} of
 * another class). The xDS server finds it from the client's node metadata ({@code WAYPOINT} / {@code GATEWAY}).
 */
public record ProxyId(Type type, String namespace, String name) implements Comparable<ProxyId> {

    public enum Type {
        WAYPOINT,
        GATEWAY
    }

    public ProxyId {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    public static ProxyId waypoint(String namespace, String name) {
        return new ProxyId(Type.WAYPOINT, namespace, name);
    }

    public static ProxyId gateway(String namespace, String name) {
        return new ProxyId(Type.GATEWAY, namespace, name);
    }

    @Override
    public int compareTo(ProxyId other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return type.name().toLowerCase(java.util.Locale.ROOT) + "/" + namespace + "/" + name;
    }
}
