package io.ambientjava.ztunnel.telemetry.accesslog;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.ConnectionObserver;
import io.ambientjava.ztunnel.telemetry.Reporter;
import io.ambientjava.ztunnel.telemetry.SecurityPolicy;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per connection end and per refusal, on the SLF4J logger {@value #LOGGER_NAME}, with upstream
 * ztunnel's access log fields:
 *
 * <pre>
 * connection complete start=2026-08-01T10:00:00.123Z src.addr=198.18.1.2:40312 src.workload="client"
 *   src.namespace="default" src.identity="spiffe://cluster.local/ns/default/sa/client" dst.addr=198.18.1.3:8080
 *   dst.hbone_addr=198.18.1.3:8080 dst.service="echo.default.svc.cluster.local" dst.workload="echo"
 *   dst.namespace="default" dst.identity="spiffe://cluster.local/ns/default/sa/echo" direction="outbound"
 *   bytes_sent=12 bytes_recv=12 duration="3ms"
 * </pre>
 *
 * <p>As upstream: a clean close logs at INFO, a close with an error or a refusal at ERROR (with {@code error=}),
 * the opening at DEBUG ({@code connection opened}); identities are shown only for mutual TLS; a workload is named
 * by its pod name, else its canonical service; unknown fields are left out. {@code bytes_sent}/{@code bytes_recv}
 * are from this ztunnel's view of the leg it owns, as upstream prints them: outbound, sent means towards the
 * server; inbound, sent means back to the client. {@code start} is an addition of ours.
 *
 * <p>Formatting is a single pass into a StringBuilder and happens only when the level is enabled; route the logger
 * to a non-blocking appender (the shipped logback.xml does).
 */
public final class AccessLog implements ConnectionObserver {

    public static final String LOGGER_NAME = "access";

    private final Logger log;
    private final Clock clock;

    public AccessLog() {
        this(LoggerFactory.getLogger(LOGGER_NAME), Clock.systemUTC());
    }

    AccessLog(Logger log, Clock clock) {
        this.log = Objects.requireNonNull(log, "log");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void opened(ConnectionInfo connection) {
        if (log.isDebugEnabled()) {
            StringBuilder line = new StringBuilder(384).append("connection opened");
            appendEndpoints(line, connection);
            log.debug(line.toString());
        }
    }

    @Override
    public void closed(ConnectionInfo connection, long sentBytes, long receivedBytes, Optional<String> error) {
        if (error.isPresent() ? !log.isErrorEnabled() : !log.isInfoEnabled()) {
            return;
        }
        String line = complete(connection, sentBytes, receivedBytes, error.orElse(null));
        if (error.isPresent()) {
            log.error(line);
        } else {
            log.info(line);
        }
    }

    @Override
    public void refused(ConnectionInfo connection, String reason) {
        if (log.isErrorEnabled()) {
            log.error(complete(connection, 0, 0, reason == null || reason.isEmpty() ? "refused" : reason));
        }
    }

    private String complete(ConnectionInfo c, long towardsServer, long towardsClient, String error) {
        StringBuilder line = new StringBuilder(512).append("connection complete");
        appendEndpoints(line, c);
        boolean outbound = c.reporter() == Reporter.SOURCE;
        line.append(" bytes_sent=").append(outbound ? towardsServer : towardsClient);
        line.append(" bytes_recv=").append(outbound ? towardsClient : towardsServer);
        long millis = Math.max(0, Duration.between(c.started(), clock.instant()).toMillis());
        line.append(" duration=\"").append(millis).append("ms\"");
        if (error != null) {
            quoted(line, "error", error);
        }
        return line.toString();
    }

    private static void appendEndpoints(StringBuilder line, ConnectionInfo c) {
        boolean mtls = c.securityPolicy() == SecurityPolicy.MUTUAL_TLS;
        line.append(" start=").append(c.started());
        address(line, "src.addr", c.source());
        quoted(line, "src.workload", c.sourceWorkload().map(AccessLog::workloadName));
        quoted(
                line,
                "src.namespace",
                c.sourceWorkload()
                        .map(Workload::namespace)
                        .or(() -> c.sourceIdentity().map(SpiffeId::namespace)));
        if (mtls) {
            quoted(line, "src.identity", c.sourceIdentity().map(SpiffeId::toString));
        }
        address(line, "dst.addr", c.destination());
        if (mtls) {
            address(line, "dst.hbone_addr", c.destination());
        }
        quoted(line, "dst.service", c.destinationService().map(Service::hostname));
        quoted(line, "dst.workload", c.destinationWorkload().map(AccessLog::workloadName));
        quoted(line, "dst.namespace", c.destinationWorkload().map(Workload::namespace));
        if (mtls) {
            quoted(
                    line,
                    "dst.identity",
                    c.destinationIdentity()
                            .map(SpiffeId::toString)
                            .or(() -> c.destinationWorkload().map(Workload::spiffeId)));
        }
        line.append(" direction=\"")
                .append(c.reporter() == Reporter.SOURCE ? "outbound" : "inbound")
                .append('"');
    }

    /** The pod name, or the canonical service when the workload has no name. */
    private static String workloadName(Workload w) {
        return w.name().isEmpty() ? w.canonicalName() : w.name();
    }

    private static void address(StringBuilder line, String key, InetSocketAddress address) {
        line.append(' ').append(key).append('=');
        if (address.getAddress() != null) {
            String host = address.getAddress().getHostAddress();
            if (host.indexOf(':') >= 0) {
                line.append('[').append(host).append(']');
            } else {
                line.append(host);
            }
        } else {
            line.append(address.getHostString());
        }
        line.append(':').append(address.getPort());
    }

    private static void quoted(StringBuilder line, String key, Optional<String> value) {
        if (value.isPresent() && !value.get().isEmpty()) {
            quoted(line, key, value.get());
        }
    }

    private static void quoted(StringBuilder line, String key, String value) {
        line.append(' ').append(key).append("=\"");
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                default -> line.append(ch);
            }
        }
        line.append('"');
    }
}
