/**
 * What the proxy tells the operations side about connections ({@link io.ambientjava.ztunnel.telemetry.ConnectionObserver}
 * and {@link io.ambientjava.ztunnel.telemetry.ConnectionInfo}), and fan-out to several observers.
 */
package io.ambientjava.ztunnel.telemetry;
