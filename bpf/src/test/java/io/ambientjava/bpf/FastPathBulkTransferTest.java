package io.ambientjava.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The same-node {@code sk_msg} fast path under bulk transfers, on the real kernel: a fast writer facing a
 * slow or stalled reader must be held back (the kernel's redirect to the peer's receive queue alone never
 * is: a gigabyte queued against a 128 KiB buffer was seen before the program checked the peer), and every
 * byte must arrive in order, in both directions, up to each side's half-close. The cgroup programs go to a
 * test cgroup holding this JVM, the pins to a directory of their own.
 */
@RequiresRoot
@RequiresCommand({"ip"})
class FastPathBulkTransferTest {
    private static final InetSocketAddress OUTBOUND = new InetSocketAddress("0.0.0.0", 15001);
    private static final InetSocketAddress SOMEWHERE = new InetSocketAddress("198.18.7.9", 80);
    private static final int CHUNK = 64 << 10;
    /** Far above what TCP buffers hold for one loopback connection whose reader does not read. */
    private static final long UNBOUNDED = 64L << 20;
    /** Per direction; the writers stop at this or at {@link #WRITE_TIME}, whichever comes first. */
    private static final long BULK = 48L << 20;

    private static final Duration WRITE_TIME = Duration.ofSeconds(20);
    /**
     * TCP memory (all sockets of the machine, /proc/net/sockstat) this test may add at its peak: a few receive
     * and send buffers, with room for other tests running on the machine meanwhile.
     */
    private static final long MEMORY_BOUND = 48L << 20;

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    private final List<Integer> fds = new ArrayList<>();
    private TestCgroup cgroup;
    private Path pinRoot;

    @BeforeEach
    void enterCgroup() throws Exception {
        cgroup = TestCgroup.enter();
        pinRoot = Path.of(
                "/sys/fs/bpf/ambient-test-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @AfterEach
    void cleanUp() throws Exception {
        fds.forEach(TcpSockets::close);
        try {
            EbpfRedirection.uninstall(pinRoot);
        } finally {
            cgroup.close();
        }
    }

    @Test
    void smallMessagesSkipTheStackInBothDirections() throws Exception {
        try (EbpfRedirection redirection = EbpfRedirection.install(pinRoot, cgroup.path())) {
            Pair pair = connect(enrolledPod(redirection));

            TcpSockets.write(pair.app(), "ping");
            assertThat(TcpSockets.read(pair.ztunnel(), 4)).isEqualTo("ping");
            TcpSockets.write(pair.ztunnel(), "pong");
            assertThat(TcpSockets.read(pair.app(), 4)).isEqualTo("pong");

            assertThat(redirection.fastPathSockets()).isEqualTo(2);
            assertThat(TcpSockets.bytesReceivedThroughTcp(pair.ztunnel()))
                    .as("bytes ztunnel's side got through TCP")
                    .isZero();
            assertThat(TcpSockets.bytesReceivedThroughTcp(pair.app()))
                    .as("bytes the app got through TCP")
                    .isZero();
        }
    }

    @Test
    void afterUninstallPairedConnectionsKeepTheirBytesAndTheKernelFreesEverythingOnceTheyClose() throws Exception {
        Pair pair;
        int pairMapId;
        try (EbpfRedirection redirection = EbpfRedirection.install(pinRoot, cgroup.path())) {
            pair = connect(enrolledPod(redirection));
            TcpSockets.write(pair.app(), "queued");
            TcpSockets.write(pair.ztunnel(), "waiting");
            int fd = Libbpf.objGet(
                    redirection.pins().map(EbpfRedirection.LOCAL_PAIRS).toString());
            pairMapId = Libbpf.mapId(fd, "reading the pair map's id");
            Libc.close(fd);
        }
        EbpfRedirection.uninstall(pinRoot);

        // Paired sockets hold the sk_msg program, which holds the pair map: they stay on the fast path until
        // they close, as connections already redirected keep going.
        assertThat(TcpSockets.read(pair.ztunnel(), 6)).isEqualTo("queued");
        assertThat(TcpSockets.read(pair.app(), 7)).isEqualTo("waiting");
        TcpSockets.write(pair.app(), "more");
        assertThat(TcpSockets.read(pair.ztunnel(), 4)).isEqualTo("more");
        assertThat(mapExists(pairMapId))
                .as("the pair map while its sockets are open")
                .isTrue();

        TcpSockets.close(pair.app());
        TcpSockets.close(pair.ztunnel());
        fds.removeAll(List.of(pair.app(), pair.ztunnel()));
        await().atMost(Duration.ofSeconds(10)).until(() -> !mapExists(pairMapId));
    }

    private static boolean mapExists(int id) {
        int fd = Libbpf.mapFdById(id);
        Libc.close(fd);
        return fd >= 0;
    }

    @Test
    void aWriterFacingAStalledReaderIsHeldBackInBothDirections() throws Exception {
        try (EbpfRedirection redirection = EbpfRedirection.install(pinRoot, cgroup.path())) {
            Pair pair = connect(enrolledPod(redirection));
            long before = TcpMemory.bytes();

            long toZtunnel = pushWithoutReading(pair.app());
            long toApp = pushWithoutReading(pair.ztunnel());
            long held = TcpMemory.bytes() - before;

            assertThat(toZtunnel)
                    .as("bytes a nonblocking writer got in while ztunnel's side did not read")
                    .isLessThan(UNBOUNDED);
            assertThat(toApp)
                    .as("bytes a nonblocking writer got in while the app did not read")
                    .isLessThan(UNBOUNDED);
            assertThat(held).as("TCP memory added meanwhile").isLessThan(MEMORY_BOUND);
            // All of it then arrives.
            assertThat(drain(pair.ztunnel(), toZtunnel)).isEqualTo(toZtunnel);
            assertThat(drain(pair.app(), toApp)).isEqualTo(toApp);
        }
    }

    @Test
    void bulkBothWaysToSlowReadersStaysBoundedAndArrivesIntactUpToTheHalfClose() throws Exception {
        try (EbpfRedirection redirection = EbpfRedirection.install(pinRoot, cgroup.path())) {
            Pair pair = connect(enrolledPod(redirection));
            long before = TcpMemory.bytes();
            AtomicLong peak = new AtomicLong(before);
            AtomicBoolean done = new AtomicBoolean();
            long deadline = System.nanoTime() + WRITE_TIME.toNanos();
            try (ExecutorService threads =
                    Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory())) {
                // Platform threads: a read blocked in native code would pin a virtual thread's carrier.
                Future<?> sampler = threads.submit(() -> sample(peak, done));
                Future<Transfer> appSent = threads.submit(() -> write(pair.app(), 1, deadline));
                Future<Transfer> ztunnelGot = threads.submit(() -> readSlowly(pair.ztunnel()));
                Future<Transfer> ztunnelSent = threads.submit(() -> write(pair.ztunnel(), 2, deadline));
                Future<Transfer> appGot = threads.submit(() -> readSlowly(pair.app()));

                Transfer up = appSent.get(40, TimeUnit.SECONDS);
                Transfer down = ztunnelSent.get(40, TimeUnit.SECONDS);
                assertThat(ztunnelGot.get(40, TimeUnit.SECONDS))
                        .as("what ztunnel's side read up to the app's half-close")
                        .isEqualTo(up);
                assertThat(appGot.get(40, TimeUnit.SECONDS))
                        .as("what the app read up to ztunnel's half-close")
                        .isEqualTo(down);
                done.set(true);
                sampler.get(5, TimeUnit.SECONDS);
                System.out.printf(
                        "fast path bulk: %d + %d bytes, TCP carried %d + %d of them, peak TCP memory +%d KiB%n",
                        up.bytes(),
                        down.bytes(),
                        TcpSockets.bytesReceivedThroughTcp(pair.ztunnel()),
                        TcpSockets.bytesReceivedThroughTcp(pair.app()),
                        (peak.get() - before) >> 10);
                assertThat(up.bytes()).as("bytes the app wrote").isPositive();
                assertThat(down.bytes()).as("bytes ztunnel's side wrote").isPositive();
                assertThat(TcpSockets.bytesReceivedThroughTcp(pair.ztunnel()))
                        .as("part of the bulk skipped the stack")
                        .isLessThan(up.bytes());
            } finally {
                done.set(true);
            }
            assertThat(peak.get() - before)
                    .as("peak TCP memory added while readers lagged")
                    .isLessThan(MEMORY_BOUND);
        }
    }

    private Pod enrolledPod(EbpfRedirection redirection) {
        Pod pod = net.addPod("a");
        redirection.enroll(pod.netnsPath());
        return pod;
    }

    private record Pair(int app, int ztunnel) {}

    /** What one side moved: the byte count and CRC32 of the stream. */
    private record Transfer(long bytes, long crc) {}

    private Pair connect(Pod pod) throws Exception {
        int listener = track(pod.call(() -> TcpSockets.listen(OUTBOUND, TcpSockets.ZTUNNEL_MARK)));
        int app = track(pod.call(() -> TcpSockets.socket(0)));
        TcpSockets.connect(app, SOMEWHERE);
        return new Pair(app, track(TcpSockets.accept(listener)));
    }

    /** Sends without blocking until the socket says EAGAIN (for 200 ms) or {@link #UNBOUNDED} bytes went in. */
    private static long pushWithoutReading(int fd) throws IOException, InterruptedException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(CHUNK);
            long pushed = 0;
            int refusals = 0;
            while (pushed < UNBOUNDED && refusals < 20) {
                long sent = TcpSockets.sendNonBlocking(fd, chunk.asSlice(0, Math.min(CHUNK, UNBOUNDED - pushed)));
                if (sent == 0) {
                    refusals++;
                    Thread.sleep(10);
                } else {
                    pushed += sent;
                }
            }
            return pushed;
        }
    }

    private static long drain(int fd, long expected) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(CHUNK);
            long total = 0;
            while (total < expected) {
                long n = TcpSockets.readSome(fd, buffer.asSlice(0, Math.min(CHUNK, expected - total)));
                if (n == 0) {
                    break;
                }
                total += n;
            }
            return total;
        }
    }

    /**
     * A Netty-like writer: nonblocking sends of a pseudo-random stream, waiting a little when the socket is not
     * writable, until {@link #BULK} bytes or the deadline; then half-closes.
     */
    private static Transfer write(int fd, long seed, long deadline) throws IOException, InterruptedException {
        CRC32 crc = new CRC32();
        byte[] bytes = new byte[CHUNK];
        long state = seed;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(CHUNK);
            long total = 0;
            while (total < BULK && System.nanoTime() < deadline) {
                for (int i = 0; i < bytes.length; i++) {
                    state = state * 6364136223846793005L + 1442695040888963407L;
                    bytes[i] = (byte) (state >>> 56);
                }
                crc.update(bytes);
                chunk.copyFrom(MemorySegment.ofArray(bytes));
                long offset = 0;
                while (offset < CHUNK) {
                    if (System.nanoTime() > deadline + Duration.ofSeconds(10).toNanos()) {
                        throw new IOException("writer stuck after " + (total + offset) + " bytes");
                    }
                    long sent = TcpSockets.sendNonBlocking(fd, chunk.asSlice(offset));
                    if (sent == 0) {
                        Thread.sleep(1);
                    }
                    offset += sent;
                }
                total += CHUNK;
            }
            TcpSockets.shutdownOutput(fd);
            return new Transfer(total, crc.getValue());
        }
    }

    /** Reads up to the end of the stream, 16 KiB at a time with a pause after each: far slower than the writer. */
    private static Transfer readSlowly(int fd) throws IOException, InterruptedException {
        CRC32 crc = new CRC32();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(16 << 10);
            long total = 0;
            while (true) {
                long n = TcpSockets.readSome(fd, buffer);
                if (n == 0) {
                    return new Transfer(total, crc.getValue());
                }
                crc.update(buffer.asSlice(0, n).asByteBuffer());
                total += n;
                Thread.sleep(0, 200_000);
            }
        }
    }

    private static Void sample(AtomicLong peak, AtomicBoolean done) throws IOException, InterruptedException {
        while (!done.get()) {
            peak.accumulateAndGet(TcpMemory.bytes(), Math::max);
            Thread.sleep(10);
        }
        return null;
    }

    /** The kernel's TCP memory, all sockets: the {@code mem} pages on the TCP line of /proc/net/sockstat. */
    private static final class TcpMemory {
        static long bytes() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/net/sockstat"))) {
                if (line.startsWith("TCP:")) {
                    String[] fields = line.split("\\s+");
                    for (int i = 1; i + 1 < fields.length; i++) {
                        if (fields[i].equals("mem")) {
                            return Long.parseLong(fields[i + 1]) * 4096;
                        }
                    }
                }
            }
            throw new IOException("no TCP mem in /proc/net/sockstat");
        }
    }

    private int track(int fd) {
        fds.add(fd);
        return fd;
    }
}
