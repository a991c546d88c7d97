package io.ambientjava.hbone.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.zip.CRC32;

/**
 * A plain blocking TCP server on 127.0.0.1 (ephemeral port), one virtual thread per connection: the
 * "application" behind an HBONE server. Records how each connection ended.
 */
public final class BlockingTcpServer implements AutoCloseable {

    @FunctionalInterface
    public interface Handler {
        void handle(Socket socket) throws IOException;
    }

    /** How one connection ended: normally, or with the exception the handler hit (e.g. a reset). */
    public record Outcome(InetSocketAddress remote, IOException error) {
        public boolean wasReset() {
            return error instanceof SocketException
                    && String.valueOf(error.getMessage()).contains("reset");
        }
    }

    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
    private final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();

    public BlockingTcpServer(Handler handler) throws IOException {
        server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-target-accept").start(() -> {
            while (!server.isClosed()) {
                Socket socket;
                try {
                    socket = server.accept();
                } catch (IOException closed) {
                    return;
                }
                sockets.add(socket);
                accepted.add(socket);
                Thread.ofVirtual().name("tcp-target").start(() -> {
                    IOException error = null;
                    try (socket) {
                        handler.handle(socket);
                    } catch (IOException e) {
                        error = e;
                    }
                    outcomes.add(new Outcome((InetSocketAddress) socket.getRemoteSocketAddress(), error));
                });
            }
        });
    }

    /** Writes back whatever it reads; on EOF shuts down its output. */
    public static BlockingTcpServer echo() throws IOException {
        return new BlockingTcpServer(socket -> {
            byte[] buf = new byte[64 * 1024];
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            socket.shutdownOutput();
        });
    }

    /** Reads to EOF, then answers {@code "<bytes> <crc32>\n"} and closes: proves half-close keeps the reply path. */
    public static BlockingTcpServer readToEofThenReply() throws IOException {
        return new BlockingTcpServer(socket -> {
            byte[] buf = new byte[64 * 1024];
            InputStream in = socket.getInputStream();
            CRC32 crc = new CRC32();
            long total = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                crc.update(buf, 0, n);
                total += n;
            }
            socket.getOutputStream().write((total + " " + crc.getValue() + "\n").getBytes());
            socket.shutdownOutput();
        });
    }

    /** Holds each connection open, reading and discarding, until the peer ends or resets it. */
    public static BlockingTcpServer discard() throws IOException {
        return new BlockingTcpServer(socket -> {
            byte[] buf = new byte[64 * 1024];
            InputStream in = socket.getInputStream();
            while (in.read(buf) >= 0) {
                // discard
            }
        });
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    public BlockingQueue<Outcome> outcomes() {
        return outcomes;
    }

    public BlockingQueue<Socket> accepted() {
        return accepted;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
