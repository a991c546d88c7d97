/**
 * The proxy's view of the mesh, apart from any I/O: immutable domain records ({@link
 * io.ambientjava.ztunnel.state.Workload}, {@link io.ambientjava.ztunnel.state.Service}, policies in {@code
 * state.policy}), indexed in one {@link io.ambientjava.ztunnel.state.StateSnapshot} that {@link
 * io.ambientjava.ztunnel.state.WorkloadStore} replaces atomically. Updates arrive as source-agnostic {@link
 * io.ambientjava.ztunnel.state.StateUpdate} batches, from the local config file ({@code config}) or, later, workload
 * xDS (through the mappers in {@code state.proto}).
 */
package io.ambientjava.ztunnel.state;
