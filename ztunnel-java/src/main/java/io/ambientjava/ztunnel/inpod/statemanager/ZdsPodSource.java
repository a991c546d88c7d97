package io.ambientjava.ztunnel.inpod.statemanager;

import io.ambientjava.zds.ZdsClient;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Pods from the node agent: a {@link ZdsClient} connected to the agent's socket (reconnecting with backoff) that
 * feeds a {@link PodStateManager} driving {@code runtime}. Closing it disconnects; the pods stay enrolled until the
 * runtime drains them.
 */
public final class ZdsPodSource implements AutoCloseable {

    /** Where istio-cni's node agent listens by default. */
    public static final String DEFAULT_SOCKET_PATH = "/var/run/ztunnel/ztunnel.sock";

    public static final Path DEFAULT_SOCKET = Path.of(DEFAULT_SOCKET_PATH);

    private final Path socket;
    private final PodStateManager state;
    private final ZdsClient client;

    private ZdsPodSource(Path socket, PodStateManager state, ZdsClient client) {
        this.socket = socket;
        this.state = state;
        this.client = client;
    }

    /** Starts connecting to the agent at {@code socket} in the background. */
    public static ZdsPodSource start(
            Path socket, ZtunnelRuntime runtime, Duration addTimeout, ZdsClient.Backoff backoff) {
        Objects.requireNonNull(socket, "socket");
        PodStateManager state = new PodStateManager(runtime, addTimeout);
        return new ZdsPodSource(socket, state, ZdsClient.start(socket, state, backoff));
    }

    /** With upstream-like defaults: a slow pod start acked after 4 s, reconnects from 100 ms up to 5 s apart. */
    public static ZdsPodSource start(Path socket, ZtunnelRuntime runtime) {
        return start(socket, runtime, PodStateManager.DEFAULT_ADD_TIMEOUT, ZdsClient.Backoff.DEFAULTS);
    }

    public Path socket() {
        return socket;
    }

    /** Completes once the agent's first snapshot has been applied. */
    public CompletableFuture<Void> firstSnapshot() {
        return state.firstSnapshot();
    }

    /** What readiness waits for, or empty once the first snapshot arrived. */
    public Optional<String> notReadyReason() {
        if (state.firstSnapshot().isDone()) {
            return Optional.empty();
        }
        return Optional.of(
                client.sessions() == 0
                        ? "waiting for the node agent's ZDS socket " + socket
                        : "waiting for the node agent's first pod snapshot over " + socket);
    }

    /** How many connections to the agent got as far as the hello. */
    public long sessions() {
        return client.sessions();
    }

    public PodStateManager state() {
        return state;
    }

    @Override
    public void close() {
        client.close();
    }
}
