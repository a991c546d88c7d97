package io.ambientjava.cni.runtime;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Sockets that belong to a pod's network namespace: each is created on a fresh platform thread that entered
 * the netns ({@code setns}) and ends right after, so no other code ever runs in the wrong namespace. A socket
 * keeps its namespace for life, so it is used from any thread afterwards.
 */
@SuppressWarnings("restricted")
public final class PodSockets {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = LINKER.downcallHandle(
            LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS = LINKER.downcallHandle(
            LINKER.defaultLookup().find("setns").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private PodSockets() {}

    /** Runs {@code work} on a thread inside {@code netns}; the work must only create sockets. */
    public static <T> T inside(Path netns, Callable<T> work) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("in-" + netns.getFileName()).start(() -> {
            try {
                enter(netns);
                result.complete(work.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** A TCP server in the pod answering each connection's first line with {@code "<line> from <client ip>"}. */
    public static ServerSocketChannel startReplyServer(Path netns, int port) throws Exception {
        ServerSocketChannel server =
                inside(netns, () -> ServerSocketChannel.open().bind(new InetSocketAddress("0.0.0.0", port)));
        Thread.ofVirtual().name("reply-server").start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel client = server.accept();
                    Thread.ofVirtual().start(() -> serve(client));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server;
    }

    private static void serve(SocketChannel client) {
        try (client) {
            while (true) {
                String line = readLine(client);
                if (line == null) {
                    return;
                }
                String peer = ((InetSocketAddress) client.getRemoteAddress())
                        .getAddress()
                        .getHostAddress();
                client.write(ByteBuffer.wrap((line + " from " + peer + "\n").getBytes(StandardCharsets.UTF_8)));
            }
        } catch (IOException e) {
            // The client went away.
        }
    }

    /**
     * A TCP server in the pod reading each connection to its end and answering with the byte count, one line.
     */
    public static ServerSocketChannel startCountingServer(Path netns, int port) throws Exception {
        ServerSocketChannel server =
                inside(netns, () -> ServerSocketChannel.open().bind(new InetSocketAddress("0.0.0.0", port)));
        Thread.ofVirtual().name("counting-server").start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel client = server.accept();
                    Thread.ofVirtual().start(() -> count(client));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server;
    }

    private static void count(SocketChannel client) {
        try (client) {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            long total = 0;
            int read;
            while ((read = client.read(buffer)) >= 0) {
                total += read;
                buffer.clear();
            }
            client.write(ByteBuffer.wrap((total + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // The client went away.
        }
    }

    /** Writes {@code bytes} zero bytes, half-closes, and returns the server's answer line. */
    public static String sendAndCount(SocketChannel channel, int bytes) throws IOException {
        var out = channel.socket().getOutputStream();
        byte[] chunk = new byte[64 * 1024];
        for (int sent = 0; sent < bytes; sent += chunk.length) {
            out.write(chunk, 0, Math.min(chunk.length, bytes - sent));
        }
        channel.shutdownOutput();
        StringBuilder answer = new StringBuilder();
        var in = channel.socket().getInputStream();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            answer.append((char) c);
        }
        return answer.toString();
    }

    /** Connects from inside the pod (bounded by {@code timeoutMillis}). */
    public static SocketChannel connect(Path netns, InetSocketAddress target, int timeoutMillis) throws Exception {
        SocketChannel channel = inside(netns, SocketChannel::open);
        try {
            channel.socket().connect(target, timeoutMillis);
            channel.socket().setSoTimeout(timeoutMillis);
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** Sends one line and reads the answer line. */
    public static String ask(SocketChannel channel, String line) throws IOException {
        channel.socket().getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder answer = new StringBuilder();
        var in = channel.socket().getInputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed after '" + answer + "'");
            }
            if (c == '\n') {
                return answer.toString();
            }
            answer.append((char) c);
        }
    }

    private static String readLine(SocketChannel channel) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (channel.read(one) < 0) {
                return null;
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
    }

    private static void enter(Path netns) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(netns.toString()), O_RDONLY_CLOEXEC);
            if (fd < 0) {
                throw new IOException("cannot open " + netns);
            }
            int rc = (int) SETNS.invokeExact(fd, CLONE_NEWNET);
            int ignored = (int) CLOSE.invokeExact(fd);
            if (rc != 0) {
                throw new IOException("setns into " + netns + " failed");
            }
        }
    }
}
