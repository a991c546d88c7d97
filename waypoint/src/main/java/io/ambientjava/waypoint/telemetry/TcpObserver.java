package io.ambientjava.waypoint.telemetry;

/** Told about every TCP-proxied connection as it opens, carries bytes and closes. Must not block. */
@FunctionalInterface
public interface TcpObserver {

    TcpObserver NONE = info -> Connection.NONE;

    Connection opened(TcpConnectionInfo info);

    /** One connection's events, on its event loop. */
    interface Connection {

        Connection NONE = new Connection() {
            @Override
            public void received(long bytes) {}

            @Override
            public void sent(long bytes) {}

            @Override
            public void closed() {}
        };

        /** Bytes from the client, on their way to the endpoint. */
        void received(long bytes);

        /** Bytes from the endpoint, on their way to the client. */
        void sent(long bytes);

        /** Called once. */
        void closed();
    }
}
