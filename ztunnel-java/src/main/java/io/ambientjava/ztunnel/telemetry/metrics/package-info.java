/**
 * Prometheus metrics through Micrometer: Istio's TCP metrics with upstream ztunnel's names and labels
 * ({@link io.ambientjava.ztunnel.telemetry.metrics.IstioTcpMetrics}), ztunnel's health gauges and process metrics.
 */
package io.ambientjava.ztunnel.telemetry.metrics;
