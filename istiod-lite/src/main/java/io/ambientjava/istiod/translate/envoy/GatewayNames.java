package io.ambientjava.istiod.translate.envoy;

import java.util.List;

/**
 * How a VirtualService names gateways: {@code mesh} for the mesh (waypoints), {@code <ns>/<name>}, or a bare name in
 * the VirtualService's own namespace.
 */
final class GatewayNames {

    static final String MESH = "mesh";

    private GatewayNames() {}

    /** Whether {@code names} (written in {@code namespace}) include {@code gateway} ({@code mesh} or ns/name). */
    static boolean contains(List<String> names, String gateway, String namespace) {
        for (String name : names) {
            if (qualify(name, namespace).equals(gateway)) {
                return true;
            }
        }
        return false;
    }

    /** The gateways a VirtualService applies to: {@code mesh} when it names none. */
    static List<String> of(List<String> names) {
        return names == null || names.isEmpty() ? List.of(MESH) : names;
    }

    static String qualify(String name, String namespace) {
        if (name.equals(MESH) || name.contains("/")) {
            return name;
        }
        return namespace + "/" + name;
    }
}
