package io.ambientjava.perf.tunnel;

import java.net.InetSocketAddress;

/** Both ends of a tunnel running in this process: plain TCP in at {@link #entryAddress()}, out to a fixed target. */
public interface Tunnel extends AutoCloseable {

    InetSocketAddress entryAddress();

    @Override
    void close();
}
