/**
 * The DNS proxy ztunnel runs in each enrolled pod's network namespace on 15053 (Istio's DNS capture): mesh service
 * names answered from the workload state with their VIPs, everything else forwarded to the upstream resolvers.
 * {@link io.ambientjava.ztunnel.dns.MeshNameResolver} is the pure lookup; {@link io.ambientjava.ztunnel.dns.DnsWire}
 * reads and writes messages; {@link io.ambientjava.ztunnel.dns.PodDnsServer} is the per-pod I/O.
 */
package io.ambientjava.ztunnel.dns;
