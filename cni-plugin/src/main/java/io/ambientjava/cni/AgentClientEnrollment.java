package io.ambientjava.cni;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The plugin process's side: forwards each ADD/DEL to the node agent listening on a Unix stream socket and turns
 * the agent's reply into success or a {@link CniException}. An agent that cannot be reached is "try again later".
 */
public final class AgentClientEnrollment implements PodEnrollment {
    /** Where the node agent listens for the plugin unless the network configuration says otherwise. */
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/ambient-java/cni.sock");

    private static final int MAX_REPLY_BYTES = 64 * 1024;

    private final Path socket;
    private final ObjectMapper json = new ObjectMapper();

    public AgentClientEnrollment(Path socket) {
        this.socket = socket;
    }

    @Override
    public void add(CniPod pod) {
        send(PluginEvent.Request.of("ADD", pod));
    }

    @Override
    public void remove(CniPod pod) {
        send(PluginEvent.Request.of("DEL", pod));
    }

    private void send(PluginEvent.Request request) {
        PluginEvent.Reply reply;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap(json.writeValueAsBytes(request)));
            channel.shutdownOutput();
            InputStream in = Channels.newInputStream(channel);
            byte[] bytes = in.readNBytes(MAX_REPLY_BYTES);
            if (bytes.length == 0) {
                throw new CniException(CniException.TRY_AGAIN_LATER, "node agent at " + socket + " sent no reply");
            }
            reply = json.readValue(bytes, PluginEvent.Reply.class);
        } catch (IOException e) {
            throw new CniException(
                    CniException.TRY_AGAIN_LATER, "node agent not reachable at " + socket, e.getMessage());
        }
        if (reply.code() != 0) {
            throw new CniException(reply.code(), reply.msg(), reply.details());
        }
    }
}
