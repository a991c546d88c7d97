package io.ambientjava.cni.agent.kubernetes;

import io.ambientjava.cni.agent.NodeAgent;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The node agent's pods from the API server: a {@link KubernetesPodSource} feeding a {@link KubernetesPodSync},
 * plus a periodic second look for mesh pods whose netns was not found yet.
 */
public final class KubernetesPodWatch implements AutoCloseable {
    private final KubernetesPodSource source;
    private final ScheduledExecutorService timer;

    private KubernetesPodWatch(KubernetesPodSource source, ScheduledExecutorService timer) {
        this.source = source;
        this.timer = timer;
    }

    /** How the watch runs. */
    public record Settings(String nodeName, Duration syncTimeout, Duration retryMissing) {
        public Settings {
            if (!syncTimeout.isPositive() || !retryMissing.isPositive()) {
                throw new IllegalArgumentException("sync timeout and retry interval must be positive");
            }
        }

        public static Settings forNode(String nodeName) {
            return new Settings(nodeName, Duration.ofSeconds(30), Duration.ofSeconds(15));
        }
    }

    /** Starts watching; the client is closed with the watch. */
    public static KubernetesPodWatch start(
            NodeAgent agent, KubernetesClient client, PodNetnsLocator locator, Settings settings) {
        KubernetesPodSync sync = new KubernetesPodSync(agent, locator);
        KubernetesPodSource source =
                KubernetesPodSource.start(client, settings.nodeName(), sync, settings.syncTimeout());
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("kube-pods-retry").factory());
        long every = settings.retryMissing().toMillis();
        timer.scheduleWithFixedDelay(() -> source.execute(sync::retryMissing), every, every, TimeUnit.MILLISECONDS);
        return new KubernetesPodWatch(source, timer);
    }

    public NodePods current() {
        return source.current();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        source.close();
    }
}
