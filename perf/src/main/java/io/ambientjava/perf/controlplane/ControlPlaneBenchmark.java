package io.ambientjava.perf.controlplane;

import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * istiod-lite at scale: a synthetic mesh in a config folder, istiod-lite as a child process, and many simulated
 * ztunnels in this process. Measures the full sync of every client, the heap and RSS of istiod-lite holding it,
 * and how long single pod additions and removals take to reach every client.
 */
final class ControlPlaneBenchmark {

    private static final Duration SYNC_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(30);

    private final ControlPlaneOptions options;

    ControlPlaneBenchmark(ControlPlaneOptions options) {
        this.options = options;
    }

    ControlPlaneReport run() throws Exception {
        Path work = Files.createTempDirectory("aj-cp-scale-");
        Path config = Files.createDirectory(work.resolve("config"));
        List<ManagedChannel> channels = new ArrayList<>();
        List<SimulatedZtunnel> clients = new ArrayList<>();
        try {
            ScaleMesh mesh = options.mesh();
            mesh.writeTo(config);
            long startNanos = System.nanoTime();
            try (IstiodProcess istiod = IstiodProcess.start(
                    options.istiodJar(),
                    config,
                    options.jvmOptions(),
                    options.debounce(),
                    work.resolve("istiod.log"))) {
                double startSeconds = (System.nanoTime() - startNanos) / 1e9;
                for (int i = 0; i < options.clients(); i++) {
                    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", istiod.xdsPort())
                            .usePlaintext()
                            .maxInboundMessageSize(512 * 1024 * 1024)
                            .build();
                    channels.add(channel);
                    clients.add(new SimulatedZtunnel(mesh.nodeName(i % mesh.nodes())));
                }
                long[] syncNanos = fullSync(mesh, channels, clients, istiod);
                long heap = istiod.heapUsedAfterFullGc();
                long rss = istiod.memory().residentBytes();
                List<ChangeTiming> additions = new ArrayList<>();
                List<ChangeTiming> removals = new ArrayList<>();
                for (int round = 0; round < options.changes(); round++) {
                    final int index = round;
                    String[] uid = new String[1];
                    additions.add(change(
                            clients,
                            () -> uid[0] = mesh.addExtraPod(config, index),
                            arrival -> arrival.response().getResourcesList().stream()
                                    .map(Resource::getName)
                                    .anyMatch(uid[0]::equals)));
                    removals.add(change(
                            clients,
                            () -> mesh.removeExtraPod(config, index),
                            arrival ->
                                    arrival.response().getRemovedResourcesList().contains(uid[0])));
                    istiod.checkAlive();
                }
                return new ControlPlaneReport(
                        mesh,
                        options.clients(),
                        options.debounce(),
                        startSeconds,
                        syncNanos,
                        heap,
                        rss,
                        istiod.memory().peakResidentBytes(),
                        additions,
                        removals);
            }
        } finally {
            clients.forEach(SimulatedZtunnel::close);
            for (ManagedChannel channel : channels) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            deleteTree(work);
        }
    }

    /** Connects every client at once; returns, per client, nanoseconds from the start until it held the mesh. */
    private long[] fullSync(
            ScaleMesh mesh, List<ManagedChannel> channels, List<SimulatedZtunnel> clients, IstiodProcess istiod)
            throws InterruptedException, IOException {
        long[] done = new long[clients.size()];
        long start = System.nanoTime();
        for (int i = 0; i < clients.size(); i++) {
            clients.get(i).connect(channels.get(i));
        }
        long deadline = start + SYNC_TIMEOUT.toNanos();
        int remaining = clients.size();
        while (remaining > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(remaining + " of " + clients.size() + " clients did not receive all "
                        + mesh.addressCount() + " addresses within " + SYNC_TIMEOUT);
            }
            remaining = 0;
            for (int i = 0; i < clients.size(); i++) {
                SimulatedZtunnel client = clients.get(i);
                client.checkHealthy();
                if (done[i] == 0) {
                    if (client.addressCount() >= mesh.addressCount()) {
                        done[i] = System.nanoTime() - start;
                    } else {
                        remaining++;
                    }
                }
            }
            istiod.checkAlive();
            Thread.sleep(2);
        }
        return done;
    }

    private interface Action {
        void run() throws IOException;
    }

    /** Makes one config change and times its arrival at every client, counting the responses it took. */
    private static ChangeTiming change(
            List<SimulatedZtunnel> clients, Action action, Predicate<SimulatedZtunnel.Arrival> carriesChange)
            throws IOException, InterruptedException {
        CountDownLatch reached = new CountDownLatch(clients.size());
        ConcurrentHashMap<SimulatedZtunnel, Long> arrivals = new ConcurrentHashMap<>();
        AtomicInteger responses = new AtomicInteger();
        AtomicInteger resources = new AtomicInteger();
        for (SimulatedZtunnel client : clients) {
            client.watch(arrival -> {
                if (arrival.response().getTypeUrl().equals(SimulatedZtunnel.ADDRESS)) {
                    responses.incrementAndGet();
                    resources.addAndGet(arrival.response().getResourcesCount()
                            + arrival.response().getRemovedResourcesCount());
                }
                if (carriesChange.test(arrival) && arrivals.putIfAbsent(arrival.client(), arrival.nanos()) == null) {
                    reached.countDown();
                }
            });
        }
        long start = System.nanoTime();
        action.run();
        if (!reached.await(CHANGE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("a pod change reached only " + arrivals.size() + " of " + clients.size()
                    + " clients within " + CHANGE_TIMEOUT);
        }
        // Late responses to the same change (a second push) would show up in the counts; give them a moment.
        Thread.sleep(300);
        clients.forEach(client -> client.watch(arrival -> {}));
        long[] latencies =
                arrivals.values().stream().mapToLong(t -> t - start).sorted().toArray();
        return new ChangeTiming(
                latencies[0],
                latencies[latencies.length / 2],
                latencies[latencies.length - 1],
                responses.get(),
                resources.get());
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /**
     * One change's arrival: nanoseconds from the file write until the first, the median and the last client had it;
     * address responses and resources (added + removed) sent to all clients during the change.
     */
    record ChangeTiming(long firstNanos, long medianNanos, long lastNanos, int responses, int resources) {
        static long[] column(List<ChangeTiming> timings, java.util.function.ToLongFunction<ChangeTiming> field) {
            return timings.stream().mapToLong(field).sorted().toArray();
        }
    }

    static long median(long[] sorted) {
        long[] copy = Arrays.copyOf(sorted, sorted.length);
        Arrays.sort(copy);
        return copy[copy.length / 2];
    }
}
