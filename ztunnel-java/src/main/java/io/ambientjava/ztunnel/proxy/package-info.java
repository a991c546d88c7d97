/**
 * The data path, cut like upstream ztunnel's {@code proxy/}: {@code outbound} (15001), {@code inbound} (HBONE,
 * 15008), {@code inboundpassthrough} (plaintext, 15006) and {@code pool} (how HBONE connections are dialed from a
 * pod), over shared pieces here: {@link io.ambientjava.ztunnel.proxy.LocalPod} (an enrolled pod as the proxies see
 * it), {@link io.ambientjava.ztunnel.proxy.PodSockets} (sockets inside the pod, marked 0x539),
 * {@link io.ambientjava.ztunnel.proxy.TcpRelay} with {@link io.ambientjava.hbone.tunnel.TcpInputHold}, and
 * {@link io.ambientjava.ztunnel.proxy.ConnectionTracker}, which reports every connection to the telemetry observer.
 */
package io.ambientjava.ztunnel.proxy;
