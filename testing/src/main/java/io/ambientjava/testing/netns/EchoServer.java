package io.ambientjava.testing.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP echo server listening inside a namespace: writes back every byte it reads, and remembers the
 * address each client connected from (so tests can check which source address a connection carried).
 *
 * <p>Only the listening socket is created inside the namespace; the accept and echo threads start from
 * the caller, which is the host namespace, and serve sockets that belong to the namespace anyway.
 */
public final class EchoServer implements AutoCloseable {
    private final ServerSocket listener;
    private final Thread acceptor;
    private final List<InetSocketAddress> clients = new CopyOnWriteArrayList<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private EchoServer(ServerSocket listener, String name) {
        this.listener = listener;
        this.acceptor = Thread.ofPlatform().name("echo-" + name).daemon().start(this::acceptLoop);
    }

    static EchoServer startIn(NamespacedHost host, int port) throws Exception {
        ServerSocket listener = host.call(() -> {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(port));
            return socket;
        });
        return new EchoServer(listener, host.netnsName() + ":" + listener.getLocalPort());
    }

    /** The port the server listens on (on every address of its namespace). */
    public int port() {
        return listener.getLocalPort();
    }

    /** The remote address of each accepted connection, in accept order. */
    public List<InetSocketAddress> clients() {
        return List.copyOf(clients);
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                clients.add((InetSocketAddress) socket.getRemoteSocketAddress());
                open.add(socket);
                Thread.ofVirtual().start(() -> echo(socket));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    System.err.println("echo server on port " + port() + " stopped accepting: " + e);
                }
                return;
            }
        }
    }

    private void echo(Socket socket) {
        try (socket;
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream()) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (SocketException closedUnderUs) {
            // close() shut the connection; nothing to report.
        } catch (IOException e) {
            System.err.println("echo connection failed: " + e);
        } finally {
            open.remove(socket);
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : open) {
            socket.close();
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
