package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lets processes in pod network namespaces reach a port on the host's loopback (istiod-lite's xDS and CA): a Unix
 * socket is a file, so it is reachable from every netns. This end accepts on the socket and connects each client to
 * {@code 127.0.0.1:port}; {@link TcpToUnixRelay}, inside the pod netns, is the other end.
 */
public final class UnixToTcpBridge implements AutoCloseable {
    private final Path socket;
    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private final Thread acceptor;

    private UnixToTcpBridge(Path socket, ServerSocketChannel server, InetSocketAddress target) {
        this.socket = socket;
        this.server = server;
        this.target = target;
        this.acceptor =
                Thread.ofVirtual().name("bridge " + socket.getFileName()).start(this::acceptLoop);
    }

    public static UnixToTcpBridge open(Path socket, int loopbackPort) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return new UnixToTcpBridge(socket, server, new InetSocketAddress("127.0.0.1", loopbackPort));
    }

    /**
     * Runs a bridge as its own process, e.g. inside a pod's netns to expose a port there to the host:
     * {@code UnixToTcpBridge <unix-socket> <loopback-port>}.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: UnixToTcpBridge <unix-socket> <loopback-port>");
        }
        UnixToTcpBridge bridge = open(Path.of(args[0]), Integer.parseInt(args[1]));
        System.out.println("bridge ready: " + args[0] + " -> 127.0.0.1:" + args[1]);
        bridge.acceptor.join();
    }

    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                Thread.ofVirtual().start(() -> connect(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void connect(SocketChannel client) {
        try {
            SocketChannel upstream = SocketChannel.open(target);
            splice(client, upstream);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    /** Copies both ways on two virtual threads; closes both when either side ends. */
    static void splice(SocketChannel a, SocketChannel b) {
        Thread.ofVirtual().start(() -> copy(a, b));
        Thread.ofVirtual().start(() -> copy(b, a));
    }

    private static void copy(SocketChannel from, SocketChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException ended) {
            // the other direction closes too
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
        Files.deleteIfExists(socket);
    }
}
