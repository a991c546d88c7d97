package io.ambientjava.hbone.tunnel;

/** How a tunnel ended. */
public enum TunnelEnd {
    /** Both directions finished with FIN / END_STREAM. */
    COMPLETED,
    /** The TCP side was reset or failed; the stream was reset. */
    TCP_ABORTED,
    /** The stream was reset by the peer, or its HTTP/2 connection went away; the TCP side was reset. */
    STREAM_ABORTED,
    /** Aborted locally through {@link Tunnel#abort()}. */
    ABORTED_LOCALLY
}
