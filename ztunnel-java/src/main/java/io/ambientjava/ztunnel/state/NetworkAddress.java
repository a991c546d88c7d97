package io.ambientjava.ztunnel.state;

import java.net.InetAddress;
import java.util.Objects;

/**
 * An IP address within a network. Istio allows the same IP in different networks (multi-network meshes), so every
 * address lookup is keyed by both. The default network is the empty string.
 *
 * <p>Text form: {@code network/ip}, e.g. {@code /198.19.0.10} (default network) or {@code east/198.19.0.10}.
 */
public record NetworkAddress(String network, InetAddress address) {

    public NetworkAddress {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(address, "address");
        if (network.indexOf('/') >= 0) {
            throw new IllegalArgumentException("network '" + network + "' must not contain '/'");
        }
    }

    public static NetworkAddress of(String network, InetAddress address) {
        return new NetworkAddress(network, address);
    }

    /**
     * Parses {@code network/ip}. The IP must be a literal; no name is ever resolved.
     *
     * @throws IllegalArgumentException when the text is not of that form
     */
    public static NetworkAddress parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not network/ip (use '/" + text + "' for the default network)");
        }
        return new NetworkAddress(text.substring(0, slash), IpLiterals.parse(text.substring(slash + 1)));
    }

    @Override
    public String toString() {
        return network + "/" + address.getHostAddress();
    }
}
