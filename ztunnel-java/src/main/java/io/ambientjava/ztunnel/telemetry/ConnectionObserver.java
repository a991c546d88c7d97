package io.ambientjava.ztunnel.telemetry;

/**
 * Receives the life of every proxied connection; metrics and the access log implement it. Called on Netty event
 * loops: implementations must not block.
 */
public interface ConnectionObserver {

    /** The connection was accepted and its upstream is connected (bytes may flow). */
    void opened(ConnectionInfo connection);

    /**
     * The connection ended.
     *
     * @param sentBytes bytes sent towards the server (from the client)
     * @param receivedBytes bytes received from the server (towards the client)
     * @param error why it ended abnormally (reset, upstream refused, drained), empty for a clean close
     */
    void closed(ConnectionInfo connection, long sentBytes, long receivedBytes, java.util.Optional<String> error);

    /** The connection was refused by policy or failed before it could open; never followed by opened/closed. */
    void refused(ConnectionInfo connection, String reason);

    ConnectionObserver NONE = new ConnectionObserver() {
        @Override
        public void opened(ConnectionInfo connection) {}

        @Override
        public void closed(
                ConnectionInfo connection, long sentBytes, long receivedBytes, java.util.Optional<String> error) {}

        @Override
        public void refused(ConnectionInfo connection, String reason) {}
    };
}
