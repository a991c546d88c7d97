package io.ambientjava.waypoint.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The waypoint's logging, set up in code: one console appender, INFO, Netty and gRPC at WARN. Reading the same
 * from a {@code logback.xml} loads logback's XML configuration machinery and the JDK's XML parser, about 600 classes
 * (some 4 MiB of metaspace in every waypoint) for four lines of settings. A {@code -Dlogback.configurationFile} or
 * a {@code logback-test.xml} on the class path still wins: this configurator then steps aside.
 */
public final class ConsoleLogConfigurator extends ContextAwareBase implements Configurator {

    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{20} -- %msg%n";

    private final ClassLoader resources;

    /** As logback's service loader makes it. */
    public ConsoleLogConfigurator() {
        this(ConsoleLogConfigurator.class.getClassLoader());
    }

    /** @param resources where a {@code logback-test.xml} would be found */
    ConsoleLogConfigurator(ClassLoader resources) {
        this.resources = resources;
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null
                || resources.getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("OUT");
        console.setEncoder(encoder);
        console.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.grpc").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
