package io.ambientjava.hbone.authority;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The target of an HBONE CONNECT: a literal IP address and a port, written {@code 198.18.0.5:8080} or
 * {@code [fd00::5]:8080} in the {@code :authority} pseudo-header. Host names are rejected: the inbound side
 * must never resolve names on behalf of a peer.
 */
public record HboneAuthority(InetAddress address, int port) {

    private static final int MAX_LENGTH = 64;

    public HboneAuthority {
        Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new InvalidAuthorityException("port " + port + " is outside 1-65535");
        }
    }

    public static HboneAuthority of(InetSocketAddress socketAddress) {
        Objects.requireNonNull(socketAddress, "socketAddress");
        if (socketAddress.isUnresolved()) {
            throw new InvalidAuthorityException("address " + socketAddress + " is unresolved; an IP is required");
        }
        return new HboneAuthority(socketAddress.getAddress(), socketAddress.getPort());
    }

    /**
     * Parses {@code ipv4:port} or {@code [ipv6]:port}. No DNS lookups; IPv4 must be four decimal octets
     * without leading zeros, so ambiguous forms such as {@code 010.1.1.1} or {@code 1.2.3} are refused.
     *
     * @throws InvalidAuthorityException naming what is wrong
     */
    public static HboneAuthority parse(CharSequence authority) {
        if (authority == null || authority.isEmpty()) {
            throw new InvalidAuthorityException("authority is missing");
        }
        String text = authority.toString();
        if (text.length() > MAX_LENGTH) {
            throw new InvalidAuthorityException(
                    "authority is " + text.length() + " characters long, more than an ip:port can be");
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new InvalidAuthorityException("authority '" + text + "' has no port (expected ip:port)");
        }
        String host = text.substring(0, colon);
        int port = parsePort(text, text.substring(colon + 1));
        InetAddress address;
        if (host.startsWith("[")) {
            if (!host.endsWith("]") || host.length() < 3) {
                throw new InvalidAuthorityException("authority '" + text + "' has an unterminated IPv6 literal");
            }
            address = parseIpv6(text, host.substring(1, host.length() - 1));
        } else if (host.indexOf(':') >= 0) {
            throw new InvalidAuthorityException(
                    "authority '" + text + "' has an IPv6 address without brackets (expected [ip]:port)");
        } else {
            address = parseIpv4(text, host);
        }
        return new HboneAuthority(address, port);
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    /** The {@code :authority} form: {@code ip:port} or {@code [ipv6]:port}. */
    @Override
    public String toString() {
        if (address instanceof Inet6Address) {
            return "[" + address.getHostAddress() + "]:" + port;
        }
        return address.getHostAddress() + ":" + port;
    }

    private static int parsePort(String text, String port) {
        if (port.isEmpty() || port.length() > 5 || !allDigits(port)) {
            throw new InvalidAuthorityException("authority '" + text + "' has an invalid port '" + port + "'");
        }
        if (port.length() > 1 && port.charAt(0) == '0') {
            throw new InvalidAuthorityException("authority '" + text + "' has a port with a leading zero");
        }
        int value = Integer.parseInt(port);
        if (value < 1 || value > 65535) {
            throw new InvalidAuthorityException("authority '" + text + "' has port " + value + " outside 1-65535");
        }
        return value;
    }

    private static InetAddress parseIpv4(String text, String host) {
        String[] octets = host.split("\\.", -1);
        if (octets.length != 4) {
            throw new InvalidAuthorityException(
                    "authority '" + text + "' does not start with an IPv4 address (a.b.c.d) or [IPv6]");
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String octet = octets[i];
            if (octet.isEmpty()
                    || octet.length() > 3
                    || !allDigits(octet)
                    || (octet.length() > 1 && octet.charAt(0) == '0')) {
                throw new InvalidAuthorityException(
                        "authority '" + text + "' has an invalid IPv4 octet '" + octet + "'");
            }
            int value = Integer.parseInt(octet);
            if (value > 255) {
                throw new InvalidAuthorityException("authority '" + text + "' has IPv4 octet " + value + " > 255");
            }
            bytes[i] = (byte) value;
        }
        try {
            return Inet4Address.getByAddress(bytes);
        } catch (java.net.UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    private static InetAddress parseIpv6(String text, String literal) {
        if (literal.indexOf('%') >= 0) {
            throw new InvalidAuthorityException("authority '" + text + "' has an IPv6 zone id, which is not allowed");
        }
        try {
            return Inet6Address.ofLiteral(literal);
        } catch (IllegalArgumentException e) {
            throw new InvalidAuthorityException(
                    "authority '" + text + "' has an invalid IPv6 address '" + literal + "'");
        }
    }

    private static boolean allDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
