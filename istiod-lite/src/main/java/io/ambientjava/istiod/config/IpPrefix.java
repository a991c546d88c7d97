package io.ambientjava.istiod.config;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * An IP address with a prefix length, parsed from a literal ({@code 198.18.0.0/16}, {@code 198.18.0.7},
 * {@code fd00::1/64}) without any name lookup. A bare address has the full length (32 or 128).
 */
public record IpPrefix(InetAddress address, int length) {

    public IpPrefix {
        Objects.requireNonNull(address, "address");
        int max = address.getAddress().length * 8;
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " is outside 0.." + max);
        }
    }

    /** Parses an address or CIDR literal; empty when the text is neither. */
    public static Optional<IpPrefix> parse(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        int slash = text.indexOf('/');
        Optional<InetAddress> address = parseAddress(slash < 0 ? text : text.substring(0, slash));
        if (address.isEmpty()) {
            return Optional.empty();
        }
        int max = address.get().getAddress().length * 8;
        if (slash < 0) {
            return Optional.of(new IpPrefix(address.get(), max));
        }
        String digits = text.substring(slash + 1);
        if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) {
            return Optional.empty();
        }
        int length = Integer.parseInt(digits);
        return length > max ? Optional.empty() : Optional.of(new IpPrefix(address.get(), length));
    }

    /** Parses an IPv4 or IPv6 literal; never resolves names. */
    public static Optional<InetAddress> parseAddress(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.ofLiteral(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + length;
    }
}
