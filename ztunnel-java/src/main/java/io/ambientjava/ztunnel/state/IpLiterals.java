package io.ambientjava.ztunnel.state;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP addresses from literals and raw bytes, never through name resolution. */
public final class IpLiterals {

    private IpLiterals() {}

    /**
     * Parses an IPv4 or IPv6 literal.
     *
     * @throws IllegalArgumentException when the text is not an IP literal (host names are refused, not resolved)
     */
    public static InetAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty IP address");
        }
        try {
            return InetAddress.ofLiteral(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
    }

    /**
     * Builds an address from its 4 (IPv4) or 16 (IPv6) network-order bytes.
     *
     * @throws IllegalArgumentException for any other length
     */
    public static InetAddress fromBytes(byte[] bytes) {
        if (bytes.length != 4 && bytes.length != 16) {
            throw new IllegalArgumentException(
                    bytes.length + " bytes is not an IP address (expected 4 for IPv4 or 16 for IPv6)");
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
