package io.ambientjava.cni;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The plugin process's side: forwards each ADD/DEL to the node agent listening on a Unix stream socket and turns
 * the agent's reply into success or a {@link CniException}. An ADD the agent cannot be reached for fails as "try
 * again later"; a DEL succeeds anyway (with a note on stderr), since the pod is going away and the agent cleans
 * up pods whose netns vanished when it comes back.
 */
public final class AgentClientEnrollment implements PodEnrollment {
    /** Where the node agent listens for the plugin unless the network configuration says otherwise. */
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/ambient-java/cni.sock");

    private static final int MAX_REPLY_BYTES = 64 * 1024;

    private final Path socket;
    private final PrintStream diagnostics;

    public AgentClientEnrollment(Path socket) {
        this(socket, System.err);
    }

    public AgentClientEnrollment(Path socket, PrintStream diagnostics) {
        this.socket = socket;
        this.diagnostics = diagnostics;
    }

    @Override
    public void add(CniPod pod) {
        PluginEvent.Reply reply = send(PluginEvent.Request.of("ADD", pod));
        if (reply.code() != 0) {
            throw new CniException(reply.code(), reply.msg(), reply.details());
        }
    }

    @Override
    public void remove(CniPod pod) {
        PluginEvent.Reply reply;
        try {
            reply = send(PluginEvent.Request.of("DEL", pod));
        } catch (AgentUnreachableException e) {
            diagnostics.println("ambient-cni: DEL of pod " + pod.namespace() + "/" + pod.name() + ": " + e.getMessage()
                    + " (" + e.details() + "); the agent cleans up when it is back");
            return;
        }
        if (reply.code() != 0) {
            throw new CniException(reply.code(), reply.msg(), reply.details());
        }
    }

    private PluginEvent.Reply send(PluginEvent.Request request) {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            throw new AgentUnreachableException(socket, e);
        }
        try (channel) {
            channel.write(ByteBuffer.wrap(request.toJson().getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            InputStream in = Channels.newInputStream(channel);
            byte[] bytes = in.readNBytes(MAX_REPLY_BYTES);
            if (bytes.length == 0) {
                throw new CniException(
                        CniException.TRY_AGAIN_LATER,
                        "node agent at " + socket + " closed the connection without a reply",
                        "see the node agent's log for pod " + request.namespace() + "/" + request.name());
            }
            return PluginEvent.Reply.fromJson(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CniException(
                    CniException.TRY_AGAIN_LATER, "lost the node agent at " + socket + " mid-request", e.toString());
        } catch (JsonText.MalformedJsonException e) {
            throw new CniException(
                    CniException.DECODING_FAILURE, "unreadable reply from the node agent at " + socket, e.getMessage());
        }
    }

    /** Nothing listens at the agent socket (the agent is not running, or the path is wrong). */
    static final class AgentUnreachableException extends CniException {
        AgentUnreachableException(Path socket, IOException cause) {
            super(
                    TRY_AGAIN_LATER,
                    "node agent not reachable at " + socket,
                    (cause.getMessage() == null ? cause.toString() : cause.getMessage())
                            + "; is the ambient-java node agent running on this node?");
        }
    }
}
