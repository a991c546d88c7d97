/**
 * What ztunnel does with the node agent's ZDS requests (upstream's {@code inpod/statemanager}): the
 * {@link io.ambientjava.ztunnel.inpod.statemanager.PodStateManager} turns AddWorkload, DelWorkload, KeepWorkload
 * and SnapshotSent into pod enrollments and removals on the runtime, and
 * {@link io.ambientjava.ztunnel.inpod.statemanager.ZdsPodSource} connects it to the agent's socket. The wire
 * protocol itself (hello, acks, fd checks) is module {@code zds}'s client.
 */
package io.ambientjava.ztunnel.inpod.statemanager;
