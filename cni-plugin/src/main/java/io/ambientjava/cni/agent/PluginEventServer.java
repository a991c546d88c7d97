package io.ambientjava.cni.agent;

import io.ambientjava.cni.CniException;
import io.ambientjava.cni.CniPlugin;
import io.ambientjava.cni.JsonText;
import io.ambientjava.cni.PluginEvent;
import io.ambientjava.cni.PodEnrollment;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's socket for the CNI plugin process: one JSON {@link PluginEvent.Request} per connection,
 * answered with one {@link PluginEvent.Reply}, each on a virtual thread (plain JDK blocking I/O). The native
 * launcher instead forwards the whole CNI call ({@link NativeCniCall}), which runs {@link CniPlugin} here.
 */
public final class PluginEventServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PluginEventServer.class);
    /** A native launcher's request carries the whole network configuration, prevResult included. */
    private static final int MAX_REQUEST_BYTES = 1024 * 1024;

    private final Path path;
    private final PodEnrollment enrollment;
    private final CniPlugin plugin;
    private final ServerSocketChannel server;
    private final Thread acceptThread;

    private PluginEventServer(Path path, PodEnrollment enrollment, ServerSocketChannel server) {
        this.path = path;
        this.enrollment = enrollment;
        this.plugin = new CniPlugin(enrollment);
        this.server = server;
        this.acceptThread = Thread.ofVirtual().name("cni-events").unstarted(this::acceptLoop);
    }

    /** Listens at {@code path} (directory made 0750 when missing, a stale socket file removed). */
    public static PluginEventServer start(Path path, PodEnrollment enrollment) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(
                    parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        }
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        PluginEventServer events = new PluginEventServer(path, enrollment, server);
        events.acceptThread.start();
        return events;
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(path);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel channel = server.accept();
                Thread.ofVirtual().name("cni-event").start(() -> serve(channel));
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.warn("plugin event socket {}: {}", path, e.getMessage());
                }
            }
        }
    }

    private void serve(SocketChannel channel) {
        try (channel) {
            InputStream in = Channels.newInputStream(channel);
            byte[] request = in.readNBytes(MAX_REQUEST_BYTES);
            Optional<NativeCniCall.Call> call;
            try {
                call = NativeCniCall.parse(request);
            } catch (IllegalArgumentException e) {
                LOG.warn("{}", e.getMessage());
                return;
            }
            if (call.isPresent()) {
                CniPlugin.Outcome outcome =
                        plugin.execute(call.get().env(), call.get().stdin());
                channel.write(ByteBuffer.wrap(NativeCniCall.reply(outcome)));
                return;
            }
            PluginEvent.Reply reply = handle(request);
            channel.write(ByteBuffer.wrap(reply.toJson().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            LOG.warn("plugin event connection failed: {}", e.getMessage());
        }
    }

    private PluginEvent.Reply handle(byte[] bytes) {
        PluginEvent.Request request;
        try {
            request = PluginEvent.Request.fromJson(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonText.MalformedJsonException e) {
            return new PluginEvent.Reply(CniException.DECODING_FAILURE, "cannot decode plugin event", e.getMessage());
        }
        if (request.uid() == null || request.uid().isBlank()) {
            return new PluginEvent.Reply(CniException.INVALID_ENVIRONMENT, "plugin event without a pod uid", "");
        }
        try {
            switch (request.command() == null ? "" : request.command()) {
                case "ADD" -> enrollment.add(request.pod());
                case "DEL" -> enrollment.remove(request.pod());
                default -> {
                    return new PluginEvent.Reply(
                            CniException.INVALID_ENVIRONMENT, "unknown plugin event '" + request.command() + "'", "");
                }
            }
            LOG.info("{} pod {}/{} ({}) done", request.command(), request.namespace(), request.name(), request.uid());
            return PluginEvent.Reply.OK;
        } catch (CniException e) {
            LOG.warn("{} pod {} failed: {} {}", request.command(), request.uid(), e.getMessage(), e.details());
            return new PluginEvent.Reply(e.code(), e.getMessage(), e.details());
        } catch (RuntimeException e) {
            LOG.error("{} pod {} failed", request.command(), request.uid(), e);
            return new PluginEvent.Reply(CniException.ENROLLMENT_FAILED, e.toString(), "");
        }
    }
}
