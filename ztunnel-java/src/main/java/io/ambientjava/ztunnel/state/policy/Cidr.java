package io.ambientjava.ztunnel.state.policy;

import io.ambientjava.ztunnel.state.IpLiterals;
import java.net.InetAddress;
import java.util.Objects;

/** An IP prefix, e.g. {@code 198.18.0.0/16}; an address of the other family is never inside it. */
public record Cidr(InetAddress address, int prefixLength) {

    public Cidr {
        Objects.requireNonNull(address, "address");
        int bits = address.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException(
                    "prefix length " + prefixLength + " is not in 0.." + bits + " for " + address.getHostAddress());
        }
    }

    /**
     * Parses {@code ip/length}; a bare IP is a single-address prefix (/32 or /128).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            InetAddress ip = IpLiterals.parse(text);
            return new Cidr(ip, ip.getAddress().length * 8);
        }
        InetAddress ip = IpLiterals.parse(text.substring(0, slash));
        String length = text.substring(slash + 1);
        if (length.isEmpty() || !length.chars().allMatch(Character::isDigit) || length.length() > 3) {
            throw new IllegalArgumentException("'" + text + "' has no valid prefix length");
        }
        return new Cidr(ip, Integer.parseInt(length));
    }

    public boolean contains(InetAddress candidate) {
        byte[] prefix = address.getAddress();
        byte[] other = candidate.getAddress();
        if (prefix.length != other.length) {
            return false;
        }
        int fullBytes = prefixLength / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (prefix[i] != other[i]) {
                return false;
            }
        }
        int remainingBits = prefixLength % 8;
        if (remainingBits == 0) {
            return true;
        }
        int mask = (0xff << (8 - remainingBits)) & 0xff;
        return (prefix[fullBytes] & mask) == (other[fullBytes] & mask);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
