package io.ambientjava.cni.agent;

import io.ambientjava.cni.agent.podstate.PodStateFolder;
import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.zds.ZdsServer;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent put together and started in the order a restart needs:
 *
 * <ol>
 *   <li>the saved pods are read and checked ({@link NodeAgent#restore}) while the ZDS socket is still bound
 *       under a temporary name, and only then renamed to its real path: a ztunnel reconnecting after the
 *       agent's restart can only ever see the full snapshot, never an empty one that would make it drop every
 *       pod;
 *   <li>the pod state is read and applied (labels changed while the agent was down take effect);
 *   <li>the plugin's socket opens last, so no CNI event is served before the state is known.
 * </ol>
 *
 * Closing stops serving but leaves every pod's rules in place (a restarting agent must not disturb traffic).
 */
public final class NodeAgentServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgentServer.class);

    /**
     * How to run.
     *
     * @param podStateDir folder of Pod/Namespace YAML; empty = no pod state, every reported pod is enrolled
     * @param stateFile where the known pods are saved across restarts; empty = not saved
     */
    public record Settings(
            Path zdsSocket,
            Path pluginSocket,
            Optional<Path> podStateDir,
            Duration podStatePoll,
            Optional<Path> stateFile,
            Duration ackTimeout) {
        public Settings {
            Objects.requireNonNull(zdsSocket, "zdsSocket");
            Objects.requireNonNull(pluginSocket, "pluginSocket");
            Objects.requireNonNull(podStateDir, "podStateDir");
            Objects.requireNonNull(podStatePoll, "podStatePoll");
            Objects.requireNonNull(stateFile, "stateFile");
            Objects.requireNonNull(ackTimeout, "ackTimeout");
        }
    }

    private final Settings settings;
    private final ZdsServer zds;
    private final NodeAgent agent;
    private final NodeAgent.Restored restored;
    private final PodStateFolder podState;
    private final AutoCloseable podSource;
    private final PluginEventServer events;

    /** A pod source started with the agent, after the restore and before the plugin socket opens. */
    @FunctionalInterface
    public interface PodSourceStarter {
        AutoCloseable start(NodeAgent agent) throws IOException;
    }

    private NodeAgentServer(
            Settings settings,
            ZdsServer zds,
            NodeAgent agent,
            NodeAgent.Restored restored,
            PodStateFolder podState,
            AutoCloseable podSource,
            PluginEventServer events) {
        this.settings = settings;
        this.zds = zds;
        this.agent = agent;
        this.restored = restored;
        this.podState = podState;
        this.podSource = podSource;
        this.events = events;
    }

    public static NodeAgentServer start(Settings settings, PodRedirector redirector) throws IOException {
        return start(settings, redirector, null);
    }

    /** With {@code podSource} (may be null), e.g. the API server's pods, started where the pod state folder is. */
    public static NodeAgentServer start(Settings settings, PodRedirector redirector, PodSourceStarter podSource)
            throws IOException {
        Optional<KnownPodsFile> stateFile = settings.stateFile().map(KnownPodsFile::new);
        List<KnownPod> saved = stateFile.isPresent() ? stateFile.get().read() : List.of();
        Path real = settings.zdsSocket().toAbsolutePath();
        Path starting = real.resolveSibling("." + real.getFileName() + ".starting");
        ZdsServer zds = ZdsServer.start(starting, new ZdsServer.Settings(Duration.ofSeconds(5), settings.ackTimeout()));
        PodStateFolder podState = null;
        AutoCloseable source = null;
        try {
            NodeAgent agent = new NodeAgent(zds, redirector, stateFile.orElse(null));
            NodeAgent.Restored restored = agent.restore(saved);
            publish(starting, real);
            if (settings.podStateDir().isPresent()) {
                podState =
                        PodStateFolder.watch(settings.podStateDir().get(), settings.podStatePoll(), agent::usePodState);
                agent.usePodState(podState.current());
            }
            if (podSource != null) {
                source = podSource.start(agent);
            }
            PluginEventServer events = PluginEventServer.start(
                    settings.pluginSocket(),
                    new NodeAgentEnrollment(agent, settings.ackTimeout().plusSeconds(1)));
            LOG.info("node agent ready: zds {}, plugin events {}", real, settings.pluginSocket());
            return new NodeAgentServer(settings, zds, agent, restored, podState, source, events);
        } catch (IOException | RuntimeException e) {
            if (podState != null) {
                podState.close();
            }
            closeQuietly(source);
            zds.close();
            Files.deleteIfExists(real);
            throw e;
        }
    }

    public NodeAgent agent() {
        return agent;
    }

    public ZdsServer zds() {
        return zds;
    }

    /** What the start-up restore found. */
    public NodeAgent.Restored restored() {
        return restored;
    }

    @Override
    public void close() throws IOException {
        events.close();
        if (podState != null) {
            podState.close();
        }
        closeQuietly(podSource);
        zds.close();
        Files.deleteIfExists(settings.zdsSocket());
    }

    private static void closeQuietly(AutoCloseable source) {
        if (source == null) {
            return;
        }
        try {
            source.close();
        } catch (Exception e) {
            LOG.warn("closing the pod source: {}", e.toString());
        }
    }

    /** A bound Unix socket keeps working under a new name; the rename also replaces a dead agent's socket file. */
    private static void publish(Path starting, Path real) throws IOException {
        try {
            Files.move(starting, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(starting, real, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
