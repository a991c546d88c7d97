/**
 * Workload xDS: the Delta ADS client that feeds the state store from the control plane (istiod, istiod-lite), like
 * upstream ztunnel's {@code xds/client}.
 */
package io.ambientjava.ztunnel.xds;
