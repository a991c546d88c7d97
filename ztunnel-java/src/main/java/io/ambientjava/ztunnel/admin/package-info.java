/**
 * ztunnel's operations ports on small Netty HTTP/1.1 servers: admin (15000, localhost: {@code /config_dump},
 * {@code /certs}, {@code /logging}, {@code /quitquitquit}), metrics (15020: {@code /metrics},
 * {@code /stats/prometheus}) and readiness (15021: {@code /healthz/ready}). Handlers run on virtual threads and
 * read a {@link io.ambientjava.ztunnel.status.ZtunnelStatus}.
 */
package io.ambientjava.ztunnel.admin;
