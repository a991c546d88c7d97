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
    private final ServerSocketChannel server;

    private TcpToUnixRelay(ServerSocketChannel server) {
        this.server = server;
    }

    /** In this process: listens on {@code 127.0.0.1:port} (0: any free port) and carries connections to the socket. */
    public static TcpToUnixRelay start(int port, Path socket) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", port), 256);
        UnixDomainSocketAddress target = UnixDomainSocketAddress.of(socket);
        Thread.ofVirtual().name("relay " + socket.getFileName()).start(() -> serve(server, target));
        return new TcpToUnixRelay(server);
    }

    public int port() {
        return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getPort();
    }

    public void close() throws IOException {
        server.close();
    }

    private static void serve(ServerSocketChannel server, UnixDomainSocketAddress target) {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                Thread.ofVirtual().start(() -> {
                    try {
                        UnixToTcpBridge.splice(client, SocketChannel.open(target));
                    } catch (IOException e) {
                        UnixToTcpBridge.closeQuietly(client);
                    }
                });
            } catch (IOException closed) {
                return;
            }
        }
    }

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
