package io.ambientjava.ztunnel.xds;

import io.ambientjava.ztunnel.state.StateUpdate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one {@code DeltaDiscoveryResponse} amounts to: the state update made of every resource that mapped cleanly
 * and every removal, plus the resources that were rejected (each message names the resource and the field).
 *
 * @param accepted name → version of the resources the update upserts
 * @param removed names the update removes
 * @param rejections one message per rejected resource; empty means ACK
 */
public record HandledResponse(
        String typeUrl,
        StateUpdate update,
        Map<String, String> accepted,
        Set<String> removed,
        List<String> rejections) {

    public HandledResponse {
        accepted = Map.copyOf(accepted);
        removed = Set.copyOf(removed);
        rejections = List.copyOf(rejections);
    }

    /** The NACK's {@code error_detail} message, when anything was rejected. */
    public Optional<String> errorDetail() {
        return rejections.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", rejections));
    }
}
