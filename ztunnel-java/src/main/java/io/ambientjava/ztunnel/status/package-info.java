/**
 * A read-only view of a running ztunnel ({@link io.ambientjava.ztunnel.status.ZtunnelStatus}) for the operations
 * side: admin pages, readiness and health gauges read it, the runtime provides it.
 */
package io.ambientjava.ztunnel.status;
