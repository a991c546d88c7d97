package io.ambientjava.ztunnel.telemetry;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands every event to several observers in order. An observer that throws is logged (its 1st, 2nd, 4th, 8th, ...
 * failure, so a broken one cannot flood the log) and skipped; the others and the proxy carry on.
 */
public final class CompositeObserver implements ConnectionObserver {

    private static final Logger log = LoggerFactory.getLogger(CompositeObserver.class);

    private final List<ConnectionObserver> observers;
    private final AtomicLong[] failures;

    public CompositeObserver(List<? extends ConnectionObserver> observers) {
        this.observers = List.copyOf(observers);
        this.failures = new AtomicLong[this.observers.size()];
        for (int i = 0; i < failures.length; i++) {
            failures[i] = new AtomicLong();
        }
    }

    public static ConnectionObserver of(ConnectionObserver... observers) {
        return observers.length == 1 ? observers[0] : new CompositeObserver(List.of(observers));
    }

    @Override
    public void opened(ConnectionInfo connection) {
        each("opened", o -> o.opened(connection));
    }

    @Override
    public void closed(ConnectionInfo connection, long sentBytes, long receivedBytes, Optional<String> error) {
        each("closed", o -> o.closed(connection, sentBytes, receivedBytes, error));
    }

    @Override
    public void refused(ConnectionInfo connection, String reason) {
        each("refused", o -> o.refused(connection, reason));
    }

    /** How often observer {@code index} has thrown so far. */
    public long failures(int index) {
        return failures[index].get();
    }

    private void each(String event, Consumer<ConnectionObserver> call) {
        for (int i = 0; i < observers.size(); i++) {
            ConnectionObserver observer = observers.get(i);
            try {
                call.accept(observer);
            } catch (VirtualMachineError fatal) {
                throw fatal;
            } catch (Throwable t) {
                long count = failures[i].incrementAndGet();
                if (Long.bitCount(count) == 1) {
                    log.warn(
                            "connection observer {} failed on {} (failure #{}); other observers are unaffected",
                            observer.getClass().getName(),
                            event,
                            count,
                            t);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "CompositeObserver" + observers;
    }
}
