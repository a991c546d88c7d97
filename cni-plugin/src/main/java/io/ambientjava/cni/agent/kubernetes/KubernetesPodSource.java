package io.ambientjava.cni.agent.kubernetes;

import io.ambientjava.cni.agent.podstate.PodState;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pods and namespaces from the API server, as Istio's CNI node agent watches them: an informer on the pods
 * scheduled to this node (field selector {@code spec.nodeName=<node>}) and one on every namespace (their labels
 * decide enrollment). Each change rebuilds a {@link NodePods} view from the informers' caches and hands it to the
 * listener on the source's own thread, in order; a pod deletion is also reported on its own first, so the agent
 * can take the pod out.
 */
public final class KubernetesPodSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesPodSource.class);

    /** What the source tells the agent. Called on the source's thread, one call at a time. */
    public interface Listener {
        void changed(NodePods view);

        void deleted(ScheduledPod pod);
    }

    private final KubernetesClient client;
    private final String nodeName;
    private final Listener listener;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("kube-pods").factory());
    private SharedIndexInformer<Namespace> namespaces;
    private SharedIndexInformer<Pod> pods;
    private volatile NodePods current = NodePods.EMPTY;
    private volatile boolean closed;

    private KubernetesPodSource(KubernetesClient client, String nodeName, Listener listener) {
        this.client = client;
        this.nodeName = nodeName;
        this.listener = listener;
    }

    /**
     * Starts both informers and waits up to {@code syncTimeout} for their first listing (the first view then holds
     * everything listed); without an answer in time it goes on, and the listing follows when it arrives. The
     * client is closed with the source.
     */
    public static KubernetesPodSource start(
            KubernetesClient client, String nodeName, Listener listener, Duration syncTimeout) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(listener, "listener");
        if (nodeName == null || nodeName.isBlank()) {
            throw new IllegalArgumentException(
                    "the node name is needed to watch this node's pods (--node-name or" + " NODE_NAME)");
        }
        KubernetesPodSource source = new KubernetesPodSource(client, nodeName, listener);
        source.startInformers(syncTimeout);
        return source;
    }

    public String nodeName() {
        return nodeName;
    }

    /** The latest view handed to the listener. */
    public NodePods current() {
        return current;
    }

    /** Runs {@code work} on the source's thread, after the events already queued (dropped once closed). */
    public void execute(Runnable work) {
        onThread(work);
    }

    private void startInformers(Duration syncTimeout) {
        namespaces = client.namespaces().runnableInformer(0);
        pods = client.pods()
                .inAnyNamespace()
                .withField("spec.nodeName", nodeName)
                .runnableInformer(0);
        namespaces.addEventHandler(new Handler<>(false));
        pods.addEventHandler(new Handler<>(true));
        for (SharedIndexInformer<?> informer : List.of(namespaces, pods)) {
            informer.exceptionHandler((started, failure) -> {
                LOG.warn("API server {}: watching failed, retrying: {}", masterUrl(), failure.toString());
                return true; // the API server may come back: keep retrying with fabric8's back-off
            });
        }
        CompletableFuture<Void> synced = CompletableFuture.allOf(
                namespaces.start().toCompletableFuture(), pods.start().toCompletableFuture());
        try {
            synced.get(syncTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("API server {}: no first listing within {}; going on without it", masterUrl(), syncTimeout);
        } catch (ExecutionException e) {
            LOG.warn("API server {}: listing failed: {}; the informers keep retrying", masterUrl(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // The informers hand their listing to the handlers asynchronously: the caches are complete already.
        CompletableFuture<Void> first = new CompletableFuture<>();
        onThread(() -> {
            publish();
            first.complete(null);
        });
        first.orTimeout(syncTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(e -> null)
                .join();
        LOG.info(
                "watching pods on node {} and namespaces at {}: {} pods, {} namespaces",
                nodeName,
                masterUrl(),
                current.pods().size(),
                current.state().namespaceLabels().size());
    }

    private String masterUrl() {
        return client.getConfiguration().getMasterUrl();
    }

    private void publish() {
        NodePods view = snapshot();
        current = view;
        listener.changed(view);
    }

    private NodePods snapshot() {
        Map<String, Map<String, String>> namespaceLabels = new HashMap<>();
        if (namespaces != null) {
            for (Namespace namespace : namespaces.getStore().list()) {
                namespaceLabels.put(namespace.getMetadata().getName(), labels(namespace));
            }
        }
        Map<PodState.PodKey, PodState.PodMeta> podMeta = new HashMap<>();
        Map<String, ScheduledPod> scheduled = new HashMap<>();
        if (pods != null) {
            for (Pod pod : pods.getStore().list()) {
                ScheduledPod view = scheduledPod(pod);
                // the field selector is the server's job; a server that ignores it must not enroll other nodes' pods
                if (!nodeName.equals(
                        pod.getSpec() == null ? null : pod.getSpec().getNodeName())) {
                    continue;
                }
                podMeta.put(
                        new PodState.PodKey(view.namespace(), view.name()),
                        new PodState.PodMeta(view.uid(), view.labels(), view.serviceAccount()));
                scheduled.put(view.uid(), view);
            }
        }
        return new NodePods(new PodState(namespaceLabels, podMeta), scheduled);
    }

    static ScheduledPod scheduledPod(Pod pod) {
        PodSpec spec = pod.getSpec() == null ? new PodSpec() : pod.getSpec();
        PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        Set<String> ips = new LinkedHashSet<>();
        if (status.getPodIPs() != null) {
            status.getPodIPs().stream()
                    .map(PodIP::getIp)
                    .filter(Objects::nonNull)
                    .forEach(ips::add);
        }
        if (status.getPodIP() != null && !status.getPodIP().isBlank()) {
            ips.add(status.getPodIP());
        }
        String serviceAccount = spec.getServiceAccountName() != null
                ? spec.getServiceAccountName()
                : Objects.requireNonNullElse(spec.getServiceAccount(), "");
        String phase = Objects.requireNonNullElse(status.getPhase(), "");
        return new ScheduledPod(
                Objects.requireNonNullElse(pod.getMetadata().getUid(), ""),
                Objects.requireNonNullElse(pod.getMetadata().getNamespace(), "default"),
                pod.getMetadata().getName(),
                serviceAccount,
                labels(pod),
                new ArrayList<>(ips),
                Boolean.TRUE.equals(spec.getHostNetwork()),
                phase.equals("Succeeded") || phase.equals("Failed"));
    }

    private static Map<String, String> labels(HasMetadata object) {
        Map<String, String> labels = object.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }

    private void onThread(Runnable work) {
        if (closed) {
            return;
        }
        try {
            thread.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.error("handling an API server change failed: {}", e.toString(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("source closed; dropping an informer event");
        }
    }

    @Override
    public void close() {
        closed = true;
        stop(pods);
        stop(namespaces);
        thread.shutdownNow();
        client.close();
    }

    private static void stop(SharedIndexInformer<?> informer) {
        if (informer == null) {
            return;
        }
        try {
            informer.stop();
        } catch (RuntimeException e) {
            LOG.debug("stopping an informer: {}", e.toString());
        }
    }

    private final class Handler<T extends HasMetadata> implements ResourceEventHandler<T> {
        private final boolean podHandler;

        Handler(boolean podHandler) {
            this.podHandler = podHandler;
        }

        @Override
        public void onAdd(T object) {
            onThread(KubernetesPodSource.this::publish);
        }

        @Override
        public void onUpdate(T before, T after) {
            onThread(KubernetesPodSource.this::publish);
        }

        @Override
        public void onDelete(T object, boolean finalStateUnknown) {
            if (podHandler && object instanceof Pod pod) {
                ScheduledPod gone = scheduledPod(pod);
                onThread(() -> {
                    listener.deleted(gone);
                    publish();
                });
            } else {
                onThread(KubernetesPodSource.this::publish);
            }
        }
    }
}
