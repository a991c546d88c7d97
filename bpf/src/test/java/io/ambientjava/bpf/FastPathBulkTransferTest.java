package io.ambientjava.bpf;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bulk transfers between an app and ztunnel's outbound listener in one pod, on the real kernel: the case
 * where the {@code sk_msg} fast path gave no backpressure and ztunnel ran out of memory. The cgroup programs
 * go to a test cgroup holding this JVM, the pins to a directory of their own.
 */
@RequiresRoot
@RequiresCommand({"ip"})
class FastPathBulkTransferTest {
    private static final InetSocketAddress OUTBOUND = new InetSocketAddress("0.0.0.0", 15001);
    private static final InetSocketAddress SOMEWHERE = new InetSocketAddress("198.18.7.9", 80);
    private static final int CONNECTIONS = 16;
    private static final long BYTES_PER_CONNECTION = 16L << 20;
    private static final int CHUNK = 256 << 10;
    /** Far above what TCP buffers hold for one loopback connection whose reader does not read. */
    private static final long UNBOUNDED = 32L << 20;

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
    void byDefaultAWriterFacingAStalledReaderIsHeldBackAndBulkBytesAllArrive() throws Exception {
        try (EbpfRedirection redirection = EbpfRedirection.install(pinRoot, cgroup.path())) {
            Pod pod = enrolledPod(redirection);
            int listener = track(pod.call(() -> TcpSockets.listen(OUTBOUND, TcpSockets.ZTUNNEL_MARK)));

            Pair stalled = connect(pod, listener);
            assertThat(pushWithoutReading(stalled.app()))
                    .as("bytes a nonblocking writer got in while ztunnel's side did not read")
                    .isLessThan(UNBOUNDED);

            List<Pair> pairs = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                pairs.add(connect(pod, listener));
            }
            assertThat(redirection.fastPathSockets())
                    .as("sockets are still paired")
                    .isGreaterThan(0);
            transferAndCheck(pairs);
        }
    }

    @Test
    void withTheFastPathOnTheKernelQueuesRedirectedBytesWithoutBound() throws Exception {
        // Why the fast path is opt-in: sk_msg redirection to the peer's ingress never makes the sender wait.
        try (EbpfRedirection redirection = EbpfRedirection.install(pinRoot, cgroup.path(), true)) {
            Pod pod = enrolledPod(redirection);
            int listener = track(pod.call(() -> TcpSockets.listen(OUTBOUND, TcpSockets.ZTUNNEL_MARK)));

            Pair stalled = connect(pod, listener);
            assertThat(pushWithoutReading(stalled.app()))
                    .as("bytes a nonblocking writer got in while ztunnel's side did not read")
                    .isEqualTo(UNBOUNDED);
            transferAndCheck(List.of(connect(pod, listener)));
        }
    }

    private Pod enrolledPod(EbpfRedirection redirection) {
        Pod pod = net.addPod("a");
        redirection.enroll(pod.netnsPath());
        return pod;
    }

    private record Pair(int app, int ztunnel) {}

    private Pair connect(Pod pod, int listener) throws Exception {
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

    /**
     * Every pair moves {@link #BYTES_PER_CONNECTION} from app to ztunnel at once; checks count and CRC.
     * Platform threads: a read blocked in native code would pin a virtual thread's carrier.
     */
    private static void transferAndCheck(List<Pair> pairs) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (ExecutorService threads =
                Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory())) {
            List<Future<Long>> sent = new ArrayList<>();
            List<Future<Long>> received = new ArrayList<>();
            for (int i = 0; i < pairs.size(); i++) {
                Pair pair = pairs.get(i);
                long seed = i + 1;
                sent.add(threads.submit(() -> write(pair.app(), seed, deadline)));
                received.add(threads.submit(() -> read(pair.ztunnel(), deadline)));
            }
            for (int i = 0; i < pairs.size(); i++) {
                long wrote = sent.get(i).get(70, TimeUnit.SECONDS);
                assertThat(received.get(i).get(70, TimeUnit.SECONDS))
                        .as("CRC of what ztunnel's side read on connection %d", i)
                        .isEqualTo(wrote);
            }
        }
    }

    /** A Netty-like writer: nonblocking sends, waiting a little when the socket is not writable. */
    private static long write(int fd, long seed, long deadline) throws IOException, InterruptedException {
        CRC32 crc = new CRC32();
        byte[] bytes = new byte[CHUNK];
        long state = seed;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(CHUNK);
            long total = 0;
            while (total < BYTES_PER_CONNECTION) {
                for (int i = 0; i < bytes.length; i++) {
                    state = state * 6364136223846793005L + 1442695040888963407L;
                    bytes[i] = (byte) (state >>> 56);
                }
                crc.update(bytes);
                chunk.copyFrom(MemorySegment.ofArray(bytes));
                long offset = 0;
                while (offset < CHUNK) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("writer out of time after " + (total + offset) + " bytes");
                    }
                    long sent = TcpSockets.sendNonBlocking(fd, chunk.asSlice(offset));
                    if (sent == 0) {
                        Thread.sleep(1);
                    }
                    offset += sent;
                }
                total += CHUNK;
            }
            return crc.getValue();
        }
    }

    private static long read(int fd, long deadline) throws IOException {
        CRC32 crc = new CRC32();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(CHUNK);
            long total = 0;
            while (total < BYTES_PER_CONNECTION) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("reader out of time after " + total + " bytes");
                }
                long n = TcpSockets.readSome(fd, buffer);
                if (n == 0) {
                    throw new IOException("end of stream after " + total + " bytes");
                }
                crc.update(buffer.asSlice(0, n).asByteBuffer());
                total += n;
            }
            return crc.getValue();
        }
    }

    private int track(int fd) {
        fds.add(fd);
        return fd;
    }
}
