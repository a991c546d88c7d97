package io.ambientjava.hbone.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Client sockets for tests: connected, no Nagle, and reads that give up after 30 s instead of hanging a run. */
public final class Sockets {

    private Sockets() {}

    public static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            socket.connect(address, 10_000);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }
}
