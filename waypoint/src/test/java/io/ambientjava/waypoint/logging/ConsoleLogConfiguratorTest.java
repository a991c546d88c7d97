package io.ambientjava.waypoint.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import java.net.URL;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ConsoleLogConfiguratorTest {

    @Test
    void isFoundByLogbackAsAService() {
        assertThat(ServiceLoader.load(Configurator.class).stream().map(ServiceLoader.Provider::type))
                .contains(ConsoleLogConfigurator.class);
    }

    @Test
    void stepsAsideWhileALogbackTestXmlIsOnTheClassPath() {
        // this module's tests carry logback-test.xml: their settings stay in force
        LoggerContext context = new LoggerContext();
        ConsoleLogConfigurator configurator = new ConsoleLogConfigurator();
        configurator.setContext(context);

        assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME)
                        .iteratorForAppenders()
                        .hasNext())
                .isFalse();
    }

    @Test
    void withoutAnXmlFileItLogsInfoToTheConsoleAndQuietsNettyAndGrpc() {
        LoggerContext context = new LoggerContext();
        ClassLoader asInTheJar = new ClassLoader(getClass().getClassLoader()) {
            @Override
            public URL getResource(String name) {
                return name.equals("logback-test.xml") ? null : super.getResource(name);
            }
        };
        ConsoleLogConfigurator configurator = new ConsoleLogConfigurator(asInTheJar);
        configurator.setContext(context);

        assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(root.getAppender("OUT")).isInstanceOf(ConsoleAppender.class);
        assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.grpc").getLevel()).isEqualTo(Level.WARN);
    }
}
