/**
 * The {@code ztunnel} command ({@link io.ambientjava.ztunnel.app.ZtunnelMain}): assembles state, CA, data path,
 * telemetry and the operations servers into one process, and drains it on SIGTERM.
 */
package io.ambientjava.ztunnel.app;
