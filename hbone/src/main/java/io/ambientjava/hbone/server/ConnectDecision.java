package io.ambientjava.hbone.server;

import io.netty.channel.Channel;
import java.util.Objects;

/** What a {@link HboneConnector} decided about a CONNECT. */
public sealed interface ConnectDecision {

    /**
     * Go ahead: the server answers 200 and pipes the stream to {@code upstream}. The channel must be connected,
     * with auto-read off and {@link io.ambientjava.hbone.tunnel.Tunnel#holdInput} called on it as soon as it
     * was created (so bytes the target sends early are kept); the server owns it from here and closes it when
     * the tunnel ends.
     */
    record Connected(Channel upstream) implements ConnectDecision {
        public Connected {
            Objects.requireNonNull(upstream, "upstream");
        }
    }

    /**
     * Go ahead, and serve the stream in this process: the server answers 200 and hands the stream, with what the
     * client sent early, to {@code adopter}.
     */
    record Adopted(StreamAdopter adopter) implements ConnectDecision {
        public Adopted {
            Objects.requireNonNull(adopter, "adopter");
        }
    }

    /** Refuse with an HTTP status (4xx/5xx) and a reason, sent in {@code hbone-error} and logged. */
    record Refused(int status, String reason) implements ConnectDecision {
        public Refused {
            if (status < 400 || status > 599) {
                throw new IllegalArgumentException("a refusal needs a 4xx or 5xx status, was " + status);
            }
            Objects.requireNonNull(reason, "reason");
        }
    }

    static ConnectDecision connected(Channel upstream) {
        return new Connected(upstream);
    }

    static ConnectDecision adopted(StreamAdopter adopter) {
        return new Adopted(adopter);
    }

    /** 401, as ztunnel answers when authorization policy denies the connection. */
    static ConnectDecision unauthorized(String reason) {
        return new Refused(401, reason);
    }

    static ConnectDecision forbidden(String reason) {
        return new Refused(403, reason);
    }

    /** 503, as ztunnel answers when the destination cannot be reached. */
    static ConnectDecision unavailable(String reason) {
        return new Refused(503, reason);
    }
}
