package io.ambientjava.ztunnel.app;

import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.manager.CertificateProvider;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.ztunnel.admin.AdminApi;
import io.ambientjava.ztunnel.admin.ConfigDump;
import io.ambientjava.ztunnel.admin.LogLevels;
import io.ambientjava.ztunnel.admin.MetricsApi;
import io.ambientjava.ztunnel.admin.OperationsServers;
import io.ambientjava.ztunnel.admin.ReadinessApi;
import io.ambientjava.ztunnel.caclient.IstiodCertificateProvider;
import io.ambientjava.ztunnel.config.LocalConfigException;
import io.ambientjava.ztunnel.config.LocalConfigSource;
import io.ambientjava.ztunnel.inpod.netns.NetworkNamespace;
import io.ambientjava.ztunnel.inpod.statemanager.ZdsPodSource;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.status.BuildInfo;
import io.ambientjava.ztunnel.telemetry.CompositeObserver;
import io.ambientjava.ztunnel.telemetry.accesslog.AccessLog;
import io.ambientjava.ztunnel.telemetry.metrics.IstioTcpMetrics;
import io.ambientjava.ztunnel.telemetry.metrics.ZtunnelGauges;
import io.ambientjava.ztunnel.telemetry.metrics.ZtunnelMeterRegistry;
import io.ambientjava.ztunnel.xds.XdsClient;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running ztunnel process: state from the local config, a local CA, the data path ({@link ZtunnelRuntime}) with
 * metrics and access log as its observers, the pods, and the admin/metrics/readiness servers on a small event loop
 * group of their own (the proxy's loops stay free of scrapes and dumps).
 *
 * <p>Shutting down (SIGTERM, SIGINT, {@code /quitquitquit}) drains: the runtime stops accepting and lets
 * connections finish until the drain timeout, readiness reports 503 meanwhile, then everything closes.
 */
final class ZtunnelProcess {

    private static final Logger log = LoggerFactory.getLogger(ZtunnelProcess.class);
    private static final Duration POD_START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PODS_FILE_POLL = Duration.ofSeconds(1);

    private final ZtunnelSettings settings;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private ZtunnelRuntime runtime;
    private RuntimeStatus status;
    private OperationsServers servers;
    private int startedPods;
    private XdsClient xds;

    private ZtunnelProcess(ZtunnelSettings settings) {
        this.settings = settings;
    }

    /**
     * Starts everything and prints the machine-readable ready line to {@code out}. On failure whatever was started
     * is closed again.
     */
    static ZtunnelProcess start(ZtunnelSettings settings, PrintStream out) throws StartupException {
        ZtunnelProcess process = new ZtunnelProcess(settings);
        try {
            process.startAll();
        } catch (StartupException | RuntimeException e) {
            process.closeAll();
            throw e;
        }
        out.println("ztunnel ready " + process.servers.describe() + " node=" + settings.node() + " pods="
                + process.startedPods);
        out.flush();
        return process;
    }

    private void startAll() throws StartupException {
        ZtunnelMeterRegistry meters = own(new ZtunnelMeterRegistry());
        WorkloadStore store = new WorkloadStore();
        if (settings.xds().isPresent()) {
            startXds(store);
        } else {
            startLocalConfig(store);
        }
        CertificateProvider certificates = certificateProvider();

        IstioTcpMetrics metrics = new IstioTcpMetrics(meters.registry());
        ZtunnelRuntimeConfig config = ZtunnelRuntimeConfig.of(
                        settings.node(),
                        settings.trustDomain(),
                        store,
                        certificates,
                        CompositeObserver.of(metrics, new AccessLog()))
                .withDrainTimeout(settings.drainTimeout())
                .withEventLoopThreads(settings.eventLoopThreads())
                .withInboundSource(settings.inboundSource());
        runtime = own(ZtunnelRuntime.start(config, settings.dns()));
        status = new RuntimeStatus(runtime);
        if (xds != null) {
            XdsClient client = xds;
            String address = settings.xds().get().address();
            status.require(() -> client.initialSync().isDone()
                    ? Optional.empty()
                    : Optional.of("waiting for the first workload xDS state from " + address
                            + client.status()
                                    .lastError()
                                    .map(e -> " (" + e + ")")
                                    .orElse("")));
        }

        ZtunnelGauges gauges = new ZtunnelGauges(meters.registry(), status, BuildInfo.current());
        Map<String, Object> described = new LinkedHashMap<>(settings.describe());
        if (xds != null) {
            XdsClient client = xds;
            described.put("xds", new LiveMap(() -> client.status().describe()));
        }
        ConfigDump dump = new ConfigDump(status, BuildInfo.current(), described);
        ReadinessApi readiness = new ReadinessApi(status);
        AdminTransport transport = own(AdminTransport.create());
        try {
            servers = own(OperationsServers.start(
                    new OperationsServers.Addresses(
                            settings.adminAddress(), settings.metricsAddress(), settings.readinessAddress()),
                    new OperationsServers.Routes(
                            AdminApi.routes(dump, new LogLevels(), readiness, () -> shutdown("/quitquitquit")),
                            new MetricsApi(meters.registry(), gauges::refresh).routes(),
                            readiness.routes()),
                    transport.group(),
                    transport.channelType()));
        } catch (UncheckedIOException e) {
            throw new StartupException(e.getMessage(), e);
        }

        if (settings.zdsSocket().isPresent()) {
            startZds(settings.zdsSocket().get());
            return;
        }
        Map<String, PodSpec> pods = new LinkedHashMap<>();
        settings.pods().forEach(p -> pods.put(p.uid(), p));
        Map<String, PodSpec> filePods = Map.of();
        if (settings.podsFile().isPresent()) {
            filePods = PodsFile.read(settings.podsFile().get());
            for (PodSpec pod : filePods.values()) {
                if (pods.putIfAbsent(pod.uid(), pod) != null) {
                    throw new StartupException("pod " + pod.uid() + " is given both by --pod and in "
                            + settings.podsFile().get());
                }
            }
        }
        for (PodSpec pod : pods.values()) {
            addPodNow(pod);
            startedPods++;
        }
        if (settings.podsFile().isPresent()) {
            own(new PodsFileWatcher(
                    settings.podsFile().get(),
                    filePods,
                    new PodsFileWatcher.PodSink() {
                        @Override
                        public void add(PodSpec pod) {
                            addPodLater(pod);
                        }

                        @Override
                        public void remove(String uid) {
                            removePod(uid);
                        }
                    },
                    PODS_FILE_POLL));
        }
    }

    /**
     * Takes the pods from the node agent over ZDS: connects in the background (retrying while the agent is not
     * there) and holds readiness until the agent's first snapshot is applied.
     */
    private void startZds(Path socket) {
        ZdsPodSource zds = own(ZdsPodSource.start(socket, runtime));
        status.require(zds::notReadyReason);
        log.info("pods come from the node agent over ZDS at {}", socket);
    }

    /**
     * Subscribes to workload xDS and waits a while ({@code --xds-sync-timeout}) for the first full state, so pods
     * given at start find their workloads; a control plane that is not there yet is retried in the background, and
     * readiness reports 503 until the state arrives.
     */
    private void startXds(WorkloadStore store) {
        xds = own(XdsClient.start(settings.xds().get(), store));
        try {
            xds.initialSync().get(settings.xdsSyncTimeout().toMillis(), TimeUnit.MILLISECONDS);
            log.info(
                    "workload xDS from {}: {}",
                    settings.xds().get().address(),
                    store.snapshot().summary());
        } catch (TimeoutException e) {
            log.warn(
                    "no full workload xDS state from {} within {} ({}); starting with what there is",
                    settings.xds().get().address(),
                    settings.xdsSyncTimeout(),
                    xds.status().lastError().orElse("no response yet"));
        } catch (ExecutionException e) {
            log.warn("workload xDS: {}", describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private CertificateProvider certificateProvider() throws StartupException {
        if (settings.ca().isPresent()) {
            return own(IstiodCertificateProvider.create(settings.ca().get()));
        }
        MeshCertificateAuthority ca = CaSetup.load(settings.trustDomain(), settings.caDir(), settings.caOut());
        return new LocalCaCertificateProvider(ca);
    }

    private void startLocalConfig(WorkloadStore store) throws StartupException {
        Optional<LocalConfigSource> source = settings.localConfigFile()
                .map(file -> LocalConfigSource.file(file, store))
                .or(() -> settings.localConfigInline().map(yaml -> LocalConfigSource.inline(yaml, store)));
        if (source.isEmpty()) {
            log.warn("no local config (--local-config, LOCAL_XDS_PATH or LOCAL_XDS): the state store stays empty");
            return;
        }
        try {
            own(source.get()).start();
        } catch (LocalConfigException e) {
            throw new StartupException("local config: " + e.getMessage(), e);
        }
    }

    private void addPodNow(PodSpec pod) throws StartupException {
        NetworkNamespace netns = openNetns(pod);
        try {
            status.podAdded(pod.uid(), pod.netns());
            runtime.addPod(pod.uid(), netns).get(POD_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.info("pod {} added ({})", pod.uid(), pod.netns());
        } catch (ExecutionException e) {
            closeQuietly(netns);
            status.podRemoved(pod.uid());
            throw new StartupException("pod " + pod.uid() + ": " + describe(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            closeQuietly(netns);
            throw new StartupException("pod " + pod.uid() + ": listeners not open after " + POD_START_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(netns);
            throw new StartupException("interrupted while adding pod " + pod.uid());
        }
    }

    private void addPodLater(PodSpec pod) {
        NetworkNamespace netns;
        try {
            netns = openNetns(pod);
        } catch (StartupException e) {
            log.warn("{}", e.getMessage());
            return;
        }
        status.podAdded(pod.uid(), pod.netns());
        runtime.addPod(pod.uid(), netns).whenComplete((ok, failure) -> {
            if (failure != null) {
                closeQuietly(netns);
                log.warn("pod {} not added: {}", pod.uid(), describe(failure));
            } else {
                log.info("pod {} added ({})", pod.uid(), pod.netns());
            }
        });
    }

    private void removePod(String uid) {
        runtime.removePod(uid).whenComplete((ok, failure) -> {
            status.podRemoved(uid);
            if (failure != null) {
                log.warn("pod {} removal failed: {}", uid, describe(failure));
            } else {
                log.info("pod {} removed", uid);
            }
        });
    }

    private static NetworkNamespace openNetns(PodSpec pod) throws StartupException {
        try {
            return NetworkNamespace.open(pod.netns());
        } catch (IOException e) {
            throw new StartupException("pod " + pod.uid() + ": " + e.getMessage(), e);
        }
    }

    /** Starts a graceful shutdown unless one is running; returns at once. */
    void shutdown(String reason) {
        if (shuttingDown.compareAndSet(false, true)) {
            Thread.ofPlatform().name("ztunnel-shutdown").start(() -> drainAndStop(reason));
        }
    }

    private void drainAndStop(String reason) {
        Duration timeout = settings.drainTimeout();
        log.info("{}: draining connections for up to {}", reason, timeout);
        status.shuttingDown("shutting down (" + reason + ")");
        try {
            runtime.drain(timeout).get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
            log.info("drained");
        } catch (TimeoutException e) {
            log.warn("drain did not finish within {}; closing what is left", timeout);
        } catch (ExecutionException e) {
            log.warn("drain failed: {}", describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeAll();
            log.info("ztunnel stopped");
            stopped.countDown();
        }
    }

    /** Waits until a shutdown has finished. */
    void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Waits at most {@code timeout} for a shutdown to finish. */
    boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    Duration drainTimeout() {
        return settings.drainTimeout();
    }

    private <T extends AutoCloseable> T own(T resource) {
        resources.push(resource);
        return resource;
    }

    private synchronized void closeAll() {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
            }
        }
    }

    private static void closeQuietly(NetworkNamespace netns) {
        try {
            netns.close();
        } catch (Exception e) {
            log.debug("closing {}", netns, e);
        }
    }

    private static String describe(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** The admin servers' own event loop: epoll when the native transport loads, NIO otherwise. */
    private record AdminTransport(EventLoopGroup group, Class<? extends ServerChannel> channelType)
            implements AutoCloseable {

        static AdminTransport create() {
            if (Epoll.isAvailable()) {
                return new AdminTransport(
                        new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()),
                        EpollServerSocketChannel.class);
            }
            return new AdminTransport(
                    new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), NioServerSocketChannel.class);
        }

        @Override
        public void close() {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
