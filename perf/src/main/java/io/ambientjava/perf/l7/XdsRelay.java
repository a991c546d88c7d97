package io.ambientjava.perf.l7;

import io.ambientjava.testing.netns.NamespacedHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Makes istiod-lite (listening on the host's loopback) reachable on 127.0.0.1:{@code port} inside a namespace: the
 * listening socket is created in the namespace, each accepted connection is joined to one this JVM opens on the
 * host. The threads are platform threads started from the host namespace, so they dial there.
 */
final class XdsRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    private XdsRelay(ServerSocket listener) {
        this.listener = listener;
    }

    static XdsRelay open(NamespacedHost inside, int port, InetSocketAddress hostTarget) throws Exception {
        ServerSocket listener = inside.call(() -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
            return s;
        });
        XdsRelay relay = new XdsRelay(listener);
        Thread.ofPlatform().daemon().name("xds-relay-" + inside.netnsName()).start(() -> relay.accept(hostTarget));
        return relay;
    }

    private void accept(InetSocketAddress target) {
        while (!listener.isClosed()) {
            try {
                Socket in = listener.accept();
                Socket out = new Socket();
                out.connect(target, 5_000);
                in.setTcpNoDelay(true);
                out.setTcpNoDelay(true);
                open.add(in);
                open.add(out);
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread.ofPlatform().daemon().name("xds-relay-pump").start(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(to);
            }
        });
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        open.forEach(XdsRelay::closeQuietly);
    }
}
