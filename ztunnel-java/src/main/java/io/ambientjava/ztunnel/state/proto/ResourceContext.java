package io.ambientjava.ztunnel.state.proto;

import com.google.protobuf.ByteString;
import io.ambientjava.api.workload.NamespacedHostname;
import io.ambientjava.ztunnel.state.GatewayAddress;
import io.ambientjava.ztunnel.state.InvalidResourceException;
import io.ambientjava.ztunnel.state.IpLiterals;
import io.ambientjava.ztunnel.state.NetworkAddress;
import java.net.InetAddress;

/** Names the resource being mapped, so every validation error says which resource and which field. */
record ResourceContext(String resource) {

    static ResourceContext of(String kind, String name) {
        return new ResourceContext(kind + " \"" + name + "\"");
    }

    InvalidResourceException invalid(String field, String problem) {
        return new InvalidResourceException(resource, field, problem);
    }

    String required(String value, String field) {
        if (value.isEmpty()) {
            throw invalid(field, "is required");
        }
        return value;
    }

    InetAddress ip(ByteString bytes, String field) {
        try {
            return IpLiterals.fromBytes(bytes.toByteArray());
        } catch (IllegalArgumentException e) {
            throw invalid(field, e.getMessage());
        }
    }

    int port(int value, String field, int min) {
        // proto uint32 arrives as a Java int; a negative one is above 2^31
        if (value < min || value > 65535) {
            throw invalid(field, Integer.toUnsignedString(value) + " is not a port (" + min + "..65535)");
        }
        return value;
    }

    GatewayAddress gateway(io.ambientjava.api.workload.GatewayAddress gateway, String field) {
        int port = port(gateway.getHboneMtlsPort(), field + ".hbone_mtls_port", 0);
        return switch (gateway.getDestinationCase()) {
            case HOSTNAME -> {
                NamespacedHostname name = gateway.getHostname();
                required(name.getNamespace(), field + ".hostname.namespace");
                required(name.getHostname(), field + ".hostname.hostname");
                try {
                    yield GatewayAddress.ofHostname(
                            new io.ambientjava.ztunnel.state.NamespacedHostname(
                                    name.getNamespace(), name.getHostname()),
                            port);
                } catch (IllegalArgumentException e) {
                    throw invalid(field + ".hostname", e.getMessage());
                }
            }
            case ADDRESS -> GatewayAddress.ofAddress(networkAddress(gateway.getAddress(), field + ".address"), port);
            case DESTINATION_NOT_SET -> throw invalid(field, "neither hostname nor address is set");
        };
    }

    NetworkAddress networkAddress(io.ambientjava.api.workload.NetworkAddress address, String field) {
        InetAddress ip = ip(address.getAddress(), field + ".address");
        try {
            return new NetworkAddress(address.getNetwork(), ip);
        } catch (IllegalArgumentException e) {
            throw invalid(field + ".network", e.getMessage());
        }
    }
}
