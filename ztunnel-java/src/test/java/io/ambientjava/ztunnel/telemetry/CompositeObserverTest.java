package io.ambientjava.ztunnel.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CompositeObserverTest {

    /** Records every event as text. */
    static final class Recording implements ConnectionObserver {
        final List<String> events = new ArrayList<>();

        @Override
        public void opened(ConnectionInfo c) {
            events.add("opened " + c.id());
        }

        @Override
        public void closed(ConnectionInfo c, long sent, long received, Optional<String> error) {
            events.add("closed " + c.id() + " " + sent + "/" + received + " " + error.orElse("-"));
        }

        @Override
        public void refused(ConnectionInfo c, String reason) {
            events.add("refused " + c.id() + " " + reason);
        }
    }

    static final class Throwing implements ConnectionObserver {
        @Override
        public void opened(ConnectionInfo c) {
            throw new IllegalStateException("broken opened");
        }

        @Override
        public void closed(ConnectionInfo c, long sent, long received, Optional<String> error) {
            throw new NullPointerException("broken closed");
        }

        @Override
        public void refused(ConnectionInfo c, String reason) {
            throw new AssertionError("broken refused");
        }
    }

    @Test
    void everyObserverSeesEveryEventInOrder() {
        Recording first = new Recording();
        Recording second = new Recording();
        ConnectionObserver composite = new CompositeObserver(List.of(first, second));
        ConnectionInfo c = Connections.clientToEcho(Reporter.SOURCE);

        composite.opened(c);
        composite.closed(c, 3, 4, Optional.empty());
        composite.refused(c, "nope");

        List<String> expected =
                List.of("opened " + c.id(), "closed " + c.id() + " 3/4 -", "refused " + c.id() + " nope");
        assertThat(first.events).isEqualTo(expected);
        assertThat(second.events).isEqualTo(expected);
    }

    @Test
    void aThrowingObserverHurtsNeitherTheCallerNorTheOthers() {
        Recording before = new Recording();
        Recording after = new Recording();
        CompositeObserver composite = new CompositeObserver(List.of(before, new Throwing(), after));
        ConnectionInfo c = Connections.clientToEcho(Reporter.DESTINATION);

        assertThatCode(() -> {
                    for (int i = 0; i < 100; i++) {
                        composite.opened(c);
                        composite.closed(c, 1, 1, Optional.of("reset"));
                        composite.refused(c, "denied");
                    }
                })
                .doesNotThrowAnyException();

        assertThat(before.events).hasSize(300);
        assertThat(after.events).hasSize(300);
        assertThat(composite.failures(1)).isEqualTo(300);
        assertThat(composite.failures(0)).isZero();
    }

    @Test
    void ofOneIsThatOne() {
        Recording only = new Recording();
        assertThat(CompositeObserver.of(only)).isSameAs(only);
        assertThat(CompositeObserver.of(only, new Recording())).isInstanceOf(CompositeObserver.class);
    }
}
