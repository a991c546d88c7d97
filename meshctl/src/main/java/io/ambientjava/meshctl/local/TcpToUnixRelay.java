package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The pod end of {@link UnixToTcpBridge}, run inside a pod's netns: listens on {@code 127.0.0.1:<port>} there and
 * carries each connection over the bridge's Unix socket to the host. JDK only, like {@link DemoApp}.
 * Usage: {@code TcpToUnixRelay <port> <unix-socket>}.
 */
public final class TcpToUnixRelay {
    private TcpToUnixRelay() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: TcpToUnixRelay <port> <unix-socket>");
        }
        int port = Integer.parseInt(args[0]);
        UnixDomainSocketAddress bridge = UnixDomainSocketAddress.of(Path.of(args[1]));
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", port), 256);
            System.out.println("relay ready: 127.0.0.1:" + port + " -> " + bridge.getPath());
            while (true) {
                SocketChannel client = server.accept();
                Thread.ofVirtual().start(() -> {
                    try {
                        UnixToTcpBridge.splice(client, SocketChannel.open(bridge));
                    } catch (IOException e) {
                        UnixToTcpBridge.closeQuietly(client);
                    }
                });
            }
        }
    }
}
