package io.ambientjava.ztunnel.telemetry.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.Connections;
import io.ambientjava.ztunnel.telemetry.Reporter;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class AccessLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final AccessLog accessLog =
            new AccessLog(logger, Clock.fixed(Connections.STARTED.plusMillis(42), ZoneOffset.UTC));

    @BeforeEach
    void attach() {
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
        logger.setLevel(null);
    }

    private ILoggingEvent only() {
        assertThat(appender.list).hasSize(1);
        return appender.list.getFirst();
    }

    @Test
    void outboundCompleteLineHasUpstreamsFields() {
        ConnectionInfo c = Connections.clientToEcho(Reporter.SOURCE);
        accessLog.opened(c);
        accessLog.closed(c, 12, 3400, Optional.empty());

        ILoggingEvent event = only();
        assertThat(event.getLevel()).isEqualTo(Level.INFO);
        assertThat(event.getLoggerName()).isEqualTo("access");
        assertThat(event.getFormattedMessage())
                .isEqualTo("connection complete start=2026-08-01T10:00:00.123Z src.addr=198.18.1.2:40312"
                        + " src.workload=\"client-7d4b9\" src.namespace=\"default\""
                        + " src.identity=\"spiffe://cluster.local/ns/default/sa/client\" dst.addr=198.18.1.3:8080"
                        + " dst.hbone_addr=198.18.1.3:8080 dst.service=\"echo.default.svc.cluster.local\""
                        + " dst.workload=\"echo-5f6c8\" dst.namespace=\"default\""
                        + " dst.identity=\"spiffe://cluster.local/ns/default/sa/echo\" direction=\"outbound\""
                        + " bytes_sent=12 bytes_recv=3400 duration=\"42ms\"");
    }

    @Test
    void inboundCountsBytesFromItsOwnSideAsUpstreamDoes() {
        ConnectionInfo c = Connections.clientToEcho(Reporter.DESTINATION);
        accessLog.closed(c, 12, 3400, Optional.empty());

        assertThat(only().getFormattedMessage())
                .contains(" direction=\"inbound\" bytes_sent=3400 bytes_recv=12 duration=\"42ms\"");
    }

    @Test
    void errorsAreLoggedAtErrorWithTheReason() {
        accessLog.closed(Connections.clientToEcho(Reporter.SOURCE), 5, 0, Optional.of("upstream reset \"hard\""));

        ILoggingEvent event = only();
        assertThat(event.getLevel()).isEqualTo(Level.ERROR);
        assertThat(event.getFormattedMessage())
                .endsWith("bytes_sent=5 bytes_recv=0 duration=\"42ms\" error=\"upstream reset \\\"hard\\\"\"");
    }

    @Test
    void refusalsAreOneLineWithTheReason() {
        accessLog.refused(Connections.clientToEcho(Reporter.DESTINATION), "denied by policy default/deny-all");

        ILoggingEvent event = only();
        assertThat(event.getLevel()).isEqualTo(Level.ERROR);
        assertThat(event.getFormattedMessage())
                .startsWith("connection complete start=")
                .contains("direction=\"inbound\" bytes_sent=0 bytes_recv=0")
                .endsWith("error=\"denied by policy default/deny-all\"");
    }

    @Test
    void plaintextHidesIdentitiesAndLeavesOutUnknownFields() {
        accessLog.closed(Connections.unknownPlaintext(Reporter.DESTINATION), 1, 2, Optional.empty());

        assertThat(only().getFormattedMessage())
                .isEqualTo("connection complete start=2026-08-01T10:00:00.123Z src.addr=198.18.9.9:5555"
                        + " dst.addr=198.18.1.3:9090 direction=\"inbound\" bytes_sent=2 bytes_recv=1"
                        + " duration=\"42ms\"");
    }

    @Test
    void openingsOnlyAtDebug() {
        ConnectionInfo c = Connections.clientToEcho(Reporter.SOURCE);
        accessLog.opened(c);
        assertThat(appender.list).isEmpty();

        logger.setLevel(Level.DEBUG);
        accessLog.opened(c);
        assertThat(only().getFormattedMessage())
                .startsWith("connection opened start=2026-08-01T10:00:00.123Z src.addr=198.18.1.2:40312")
                .endsWith("direction=\"outbound\"");
    }

    @Test
    void nothingIsFormattedWhenTheLoggerIsOff() {
        logger.setLevel(Level.OFF);
        ConnectionInfo c = Connections.clientToEcho(Reporter.SOURCE);
        accessLog.closed(c, 1, 1, Optional.of("boom"));
        accessLog.refused(c, "denied");
        assertThat(appender.list).isEmpty();
    }
}
