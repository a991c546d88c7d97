package io.ambientjava.ztunnel.xds;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The xDS client as {@code /config_dump} shows it.
 *
 * @param address the control plane, {@code host:port}
 * @param connected whether a stream is open and has received at least one response
 * @param connections streams opened so far (1 + reconnects)
 * @param lastError the last stream failure or NACK, with when it happened
 * @param versions per type URL, resource name → version of what is applied
 * @param acks responses accepted
 * @param nacks responses rejected (in part or whole)
 */
public record XdsStatus(
        String address,
        boolean connected,
        int connections,
        Optional<String> lastError,
        Optional<Instant> lastErrorAt,
        Map<String, Map<String, String>> versions,
        long acks,
        long nacks) {

    public XdsStatus {
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        versions.forEach((type, names) -> copy.put(type, Map.copyOf(names)));
        versions = java.util.Collections.unmodifiableMap(copy);
    }

    /** A JSON-friendly view. */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("address", address);
        out.put("connected", connected);
        out.put("connections", connections);
        lastError.ifPresent(e -> out.put("lastError", e));
        lastErrorAt.ifPresent(t -> out.put("lastErrorAt", t.toString()));
        Map<String, Integer> counts = new LinkedHashMap<>();
        versions.forEach((type, names) -> counts.put(type, names.size()));
        out.put("resources", counts);
        out.put("acks", acks);
        out.put("nacks", nacks);
        return out;
    }
}
