/**
 * The assembled ztunnel: {@link io.ambientjava.ztunnel.runtime.ZtunnelRuntime} wires state, certificates, the
 * per-pod listeners and the proxies together, built from a {@link io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig}.
 */
package io.ambientjava.ztunnel.runtime;
