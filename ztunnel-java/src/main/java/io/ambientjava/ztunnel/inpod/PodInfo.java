package io.ambientjava.ztunnel.inpod;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.inpod.netns.NetnsId;
import io.ambientjava.ztunnel.state.Workload;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A pod enrolled with ztunnel, for admin pages.
 *
 * @param uid the workload uid the pod was added with
 * @param netns its network namespace
 * @param workload the store's workload with that uid, when the store knows it
 * @param identity the workload's SPIFFE ID, when the workload is known
 * @param state where it is in its life
 * @param error why its listeners failed, when they did
 * @param added when it was added
 * @param connections its open connections (both directions)
 */
public record PodInfo(
        String uid,
        NetnsId netns,
        Optional<Workload> workload,
        Optional<SpiffeId> identity,
        PodState state,
        Optional<String> error,
        Instant added,
        int connections) {

    public PodInfo {
        Objects.requireNonNull(uid, "uid");
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(added, "added");
    }
}
