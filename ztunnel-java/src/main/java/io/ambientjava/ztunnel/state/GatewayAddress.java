package io.ambientjava.ztunnel.state;

import java.util.Objects;

/**
 * How to reach a waypoint or network gateway: by a service hostname (preferred, it follows the service's
 * endpoints) or by a fixed address, plus the port where it accepts HBONE.
 */
public record GatewayAddress(Destination destination, int hboneMtlsPort) {

    /** Istio's default HBONE port. */
    public static final int DEFAULT_HBONE_PORT = 15008;

    public GatewayAddress {
        Objects.requireNonNull(destination, "destination");
        if (hboneMtlsPort < 0 || hboneMtlsPort > 65535) {
            throw new IllegalArgumentException("hbone_mtls_port " + hboneMtlsPort + " is not in 0..65535");
        }
    }

    public static GatewayAddress ofHostname(NamespacedHostname hostname, int hboneMtlsPort) {
        return new GatewayAddress(new Destination.Hostname(hostname), hboneMtlsPort);
    }

    public static GatewayAddress ofAddress(NetworkAddress address, int hboneMtlsPort) {
        return new GatewayAddress(new Destination.Address(address), hboneMtlsPort);
    }

    /** Either a service by name or an address. */
    public sealed interface Destination {

        record Hostname(NamespacedHostname hostname) implements Destination {
            public Hostname {
                Objects.requireNonNull(hostname, "hostname");
            }

            @Override
            public String toString() {
                return hostname.toString();
            }
        }

        record Address(NetworkAddress address) implements Destination {
            public Address {
                Objects.requireNonNull(address, "address");
            }

            @Override
            public String toString() {
                return address.toString();
            }
        }

        /**
         * Parses the text form used by ztunnel's local config: {@code network/ip} when the part after the first '/'
         * is an IP literal, {@code namespace/hostname} otherwise.
         */
        static Destination parse(String text) {
            int slash = text.indexOf('/');
            if (slash >= 0) {
                try {
                    return new Address(NetworkAddress.parse(text));
                } catch (IllegalArgumentException notAnAddress) {
                    // fall through: a hostname
                }
            }
            return new Hostname(NamespacedHostname.parse(text));
        }
    }
}
