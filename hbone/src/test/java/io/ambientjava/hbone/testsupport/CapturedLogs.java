package io.ambientjava.hbone.testsupport;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every log line it is given (see logback-test.xml), so tests can check what was logged. */
public final class CapturedLogs extends AppenderBase<ILoggingEvent> {

    private static final List<ILoggingEvent> EVENTS = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        EVENTS.add(event);
    }

    /** Formatted messages logged so far by loggers whose name starts with {@code loggerPrefix}. */
    public static List<String> messages(String loggerPrefix) {
        return EVENTS.stream()
                .filter(e -> e.getLoggerName().startsWith(loggerPrefix))
                .map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    /** Netty's leak reports, removing them. */
    static List<String> drainLeakReports() {
        List<String> leaks = EVENTS.stream()
                .filter(e -> e.getLoggerName().startsWith("io.netty.util.ResourceLeakDetector"))
                .map(ILoggingEvent::getFormattedMessage)
                .toList();
        EVENTS.removeIf(e -> e.getLoggerName().startsWith("io.netty.util.ResourceLeakDetector"));
        return leaks;
    }

    public static void clear() {
        EVENTS.clear();
    }
}
