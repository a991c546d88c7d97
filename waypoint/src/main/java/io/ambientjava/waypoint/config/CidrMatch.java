package io.ambientjava.waypoint.config;

import java.net.InetAddress;
import java.util.Objects;

/** Envoy's {@code CidrRange}: an address prefix; an address of the other IP family never matches. */
public record CidrMatch(InetAddress prefix, int length) {

    public CidrMatch {
        Objects.requireNonNull(prefix, "prefix");
        int max = prefix.getAddress().length * 8;
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " out of 0.." + max);
        }
    }

    public boolean contains(InetAddress address) {
        byte[] want = prefix.getAddress();
        byte[] have = address.getAddress();
        if (want.length != have.length) {
            return false;
        }
        int full = length / 8;
        for (int i = 0; i < full; i++) {
            if (want[i] != have[i]) {
                return false;
            }
        }
        int rest = length % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (want[full] & mask) == (have[full] & mask);
    }
}
