package io.ambientjava.ztunnel.testsupport;

import io.ambientjava.ztunnel.telemetry.ConnectionInfo;
import io.ambientjava.ztunnel.telemetry.ConnectionObserver;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** Remembers every connection event, for assertions. */
public final class RecordingObserver implements ConnectionObserver {

    public record Closed(ConnectionInfo info, long sent, long received, Optional<String> error) {}

    public record Refused(ConnectionInfo info, String reason) {}

    private final List<ConnectionInfo> opened = new CopyOnWriteArrayList<>();
    private final List<Closed> closed = new CopyOnWriteArrayList<>();
    private final List<Refused> refused = new CopyOnWriteArrayList<>();

    @Override
    public void opened(ConnectionInfo connection) {
        opened.add(connection);
    }

    @Override
    public void closed(ConnectionInfo connection, long sentBytes, long receivedBytes, Optional<String> error) {
        closed.add(new Closed(connection, sentBytes, receivedBytes, error));
    }

    @Override
    public void refused(ConnectionInfo connection, String reason) {
        refused.add(new Refused(connection, reason));
    }

    public List<ConnectionInfo> opened() {
        return List.copyOf(opened);
    }

    public List<Closed> closed() {
        return List.copyOf(closed);
    }

    public List<Refused> refused() {
        return List.copyOf(refused);
    }
}
