/** Choosing a service endpoint for a connection to {@code VIP:port}. */
package io.ambientjava.ztunnel.state.lb;
