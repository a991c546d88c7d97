package io.ambientjava.istiod.translate.envoy;

/** Hostname patterns as Istio writes them: exact, {@code *}, or {@code *.suffix}. */
final class HostMatch {

    private HostMatch() {}

    static boolean matches(String pattern, String hostname) {
        if (pattern.equals("*") || pattern.equals(hostname)) {
            return true;
        }
        return pattern.startsWith("*.") && hostname.endsWith(pattern.substring(1));
    }

    /** Whether two patterns can both match some hostname (either one covers the other). */
    static boolean overlaps(String a, String b) {
        return matches(a, b) || matches(b, a);
    }
}
