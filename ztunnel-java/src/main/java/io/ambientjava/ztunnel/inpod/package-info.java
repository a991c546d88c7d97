/**
 * In-pod proxying: the {@link io.ambientjava.ztunnel.inpod.WorkloadManager} enrolls pods by their network
 * namespace and opens ztunnel's listeners (15001 outbound, 15006 inbound plaintext, 15008 HBONE) inside each,
 * with sockets marked 0x539; {@code netns} holds the namespace plumbing.
 */
package io.ambientjava.ztunnel.inpod;
