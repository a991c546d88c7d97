/**
 * From the Istio wire types ({@code io.ambientjava.api.workload}, {@code io.ambientjava.api.security}) to the
 * domain records, validating as they go: an invalid resource is an {@link
 * io.ambientjava.ztunnel.state.InvalidResourceException} naming the resource and the field (for an xDS NACK).
 */
package io.ambientjava.ztunnel.state.proto;
