package io.ambientjava.ztunnel.inpod.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@RequiresRoot
@RequiresCommand("ip")
class NetnsExecutorTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    private NetnsExecutor executor;
    private Pod a;
    private Pod b;
    private NetworkNamespace nsA;
    private NetworkNamespace nsB;

    @BeforeEach
    void setUp() throws Exception {
        executor = new NetnsExecutor("test");
        a = net.addPod("a");
        b = net.addPod("b");
        nsA = NetworkNamespace.open(a.netnsPath());
        nsB = NetworkNamespace.open(b.netnsPath());
    }

    @AfterEach
    void tearDown() throws Exception {
        executor.close();
        nsA.close();
        nsB.close();
    }

    @Test
    void workRunsInsideThePodAndSeesItsInterfaces() throws Exception {
        NetnsId inside = get(executor.run(nsA, NetworkNamespace::currentThreadId));
        List<InetAddress> addresses = get(executor.run(
                nsA,
                () -> NetworkInterface.networkInterfaces()
                        .flatMap(NetworkInterface::inetAddresses)
                        .filter(Inet4Address.class::isInstance)
                        .toList()));

        assertThat(inside).isEqualTo(nsA.id()).isNotEqualTo(executor.home());
        assertThat(addresses).contains(a.ip()).doesNotContain(b.ip());
    }

    @Test
    void theWorkerIsBackHomeAfterEveryTask() throws Exception {
        int tid = get(executor.run(nsA, Libc::gettid));

        assertThat(threadNamespace(tid)).isEqualTo(executor.home());
        assertThat(executor.home()).isEqualTo(NetworkNamespace.currentThreadId());
    }

    @Test
    void theWorkerGoesHomeEvenWhenWorkFailsOrSwitchesNamespaceItself() throws Exception {
        CompletableFuture<Object> failing = executor.run(nsA, () -> {
            throw new IllegalArgumentException("work failed");
        });
        int tid = get(executor.run(nsA, () -> {
            Libc.setns(nsB.fd(), Libc.CLONE_NEWNET);
            return Libc.gettid();
        }));

        assertThatThrownBy(() -> get(failing))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("work failed");
        assertThat(threadNamespace(tid)).isEqualTo(executor.home());
        assertThat(get(executor.run(nsB, NetworkNamespace::currentThreadId))).isEqualTo(nsB.id());
    }

    @Test
    void interleavedTasksEachRunInTheirOwnNamespace() throws Exception {
        List<CompletableFuture<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            NetworkNamespace target = i % 2 == 0 ? nsA : nsB;
            results.add(executor.run(
                    target, () -> NetworkNamespace.currentThreadId().equals(target.id())));
        }

        for (CompletableFuture<Boolean> result : results) {
            assertThat(get(result)).isTrue();
        }
    }

    @Test
    void dependentStagesRunOutsideThePod() throws Exception {
        CompletableFuture<NetnsId> after = executor.run(nsA, () -> "created").thenApply(ignored -> {
            try {
                return NetworkNamespace.currentThreadId();
            } catch (ErrnoException e) {
                throw new IllegalStateException(e);
            }
        });

        assertThat(get(after)).isEqualTo(executor.home());
    }

    @Test
    void aClosedNamespaceFailsTheTaskWithAClearError() throws Exception {
        NetworkNamespace closed = NetworkNamespace.open(a.netnsPath());
        closed.close();

        assertThatThrownBy(() -> get(executor.run(closed, () -> "never")))
                .cause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(a.netnsPath().toString())
                .hasMessageContaining("is closed");
        assertThat(get(executor.run(nsA, () -> "still works"))).isEqualTo("still works");
    }

    @Test
    void callWaitsAndNestedCallsInTheSameNamespaceRunDirectly() throws Exception {
        NetnsId nested = executor.call(nsA, () -> executor.call(nsA, NetworkNamespace::currentThreadId, WAIT), WAIT);

        assertThat(nested).isEqualTo(nsA.id());
        assertThatThrownBy(() -> executor.call(nsA, () -> executor.call(nsB, () -> "deadlock", WAIT), WAIT))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot wait for work in " + nsB);
    }

    @Test
    void aClosedExecutorFinishesQueuedWorkThenRefuses() throws Exception {
        CompletableFuture<String> queued = executor.run(nsA, () -> "queued before close");
        executor.close();

        assertThat(get(queued)).isEqualTo("queued before close");
        assertThatThrownBy(() -> get(executor.run(nsA, () -> "late")))
                .cause()
                .isInstanceOf(RejectedExecutionException.class)
                .hasMessage("netns executor test is closed");
    }

    private static NetnsId threadNamespace(int tid) throws ErrnoException {
        return Libc.fileId(
                Path.of("/proc/self/task", Integer.toString(tid), "ns/net").toString());
    }

    private static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }
}
