/**
 * Outbound: connections a pod's app makes, captured on 15001. {@link io.ambientjava.ztunnel.proxy.outbound.OutboundRouter}
 * decides (service endpoint, waypoint, or passthrough) from one state snapshot;
 * {@link io.ambientjava.ztunnel.proxy.outbound.OutboundProxy} connects from inside the pod.
 */
package io.ambientjava.ztunnel.proxy.outbound;
