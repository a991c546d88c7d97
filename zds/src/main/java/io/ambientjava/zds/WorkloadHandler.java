package io.ambientjava.zds;

import io.ambientjava.api.zds.WorkloadInfo;
import java.util.Optional;
import java.util.Set;

/**
 * What ztunnel does with the node agent's requests, called by {@link ZdsClient} on its connection thread,
 * one request at a time. Each call's {@link Outcome} becomes the ack (or the nack with its text); an exception
 * becomes a nack with its message.
 */
public interface WorkloadHandler {
    /**
     * A connection to the node agent was made and the hello sent: a replay of every pod the agent holds follows,
     * ended by {@link #snapshotSent()}.
     */
    default void connected() {}

    /**
     * The pods the handler serves now, whoever enrolled them, when it knows better than the client: after a replay
     * the client deletes every one of them the replay left out. Empty (the default): the pods added through this
     * client.
     */
    default Optional<Set<String>> enrolled() {
        return Optional.empty();
    }

    /**
     * Starts proxying for the pod whose network namespace is {@code netnsFd} (already checked to be one). On
     * {@link Outcome#ok()} the handler owns the descriptor and closes it when done; on a failure outcome or an
     * exception the client closes it.
     */
    Outcome add(String uid, WorkloadInfo info, int netnsFd);

    /** Stops proxying for the pod (also called by the client for pods a new snapshot did not replay). */
    Outcome delete(String uid);

    /** The pod stays, though the agent no longer holds its netns (sent during a replay only). */
    Outcome keep(String uid);

    /** The replay after (re)connecting is complete. */
    Outcome snapshotSent();

    /** The result of one request: success, or the error text sent back in the nack. */
    record Outcome(String error) {
        private static final Outcome OK = new Outcome("");

        public Outcome {
            error = error == null ? "" : error;
        }

        public static Outcome ok() {
            return OK;
        }

        public static Outcome failed(String error) {
            if (error == null || error.isEmpty()) {
                throw new IllegalArgumentException("a failure needs an error text");
            }
            return new Outcome(error);
        }

        public boolean isOk() {
            return error.isEmpty();
        }
    }
}
