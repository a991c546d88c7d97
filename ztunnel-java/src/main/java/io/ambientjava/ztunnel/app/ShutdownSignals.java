package io.ambientjava.ztunnel.app;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a graceful drain, after which {@link ZtunnelMain} exits 0 (the JVM's default would
 * run shutdown hooks and exit 143). A shutdown hook covers every other way the JVM may end (SIGHUP, a System.exit
 * elsewhere): it drains too, waiting at most the drain timeout plus a margin.
 */
final class ShutdownSignals {

    private static final Logger log = LoggerFactory.getLogger(ShutdownSignals.class);

    private ShutdownSignals() {}

    static void install(ZtunnelProcess process) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> process.shutdown("SIG" + signal.getName()));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                log.warn("cannot handle SIG{} ({}); the shutdown hook drains instead", name, e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            process.shutdown("JVM shutdown");
            try {
                process.awaitStopped(process.drainTimeout().plus(Duration.ofSeconds(10)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }
}
