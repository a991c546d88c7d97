package io.ambientjava.ztunnel.inpod.statemanager;

import static io.ambientjava.ztunnel.inpod.statemanager.ZdsEnrollmentTest.QUICK;
import static io.ambientjava.ztunnel.inpod.statemanager.ZdsEnrollmentTest.WAIT;
import static io.ambientjava.ztunnel.inpod.statemanager.ZdsEnrollmentTest.assertListening;
import static io.ambientjava.ztunnel.inpod.statemanager.ZdsEnrollmentTest.uid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.api.zds.AddWorkload;
import io.ambientjava.api.zds.KeepWorkload;
import io.ambientjava.api.zds.SnapshotSent;
import io.ambientjava.api.zds.Version;
import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.api.zds.WorkloadRequest;
import io.ambientjava.api.zds.WorkloadResponse;
import io.ambientjava.api.zds.ZdsHello;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.testing.RequiresRoot;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Pod;
import io.ambientjava.zds.NamespaceFds;
import io.ambientjava.zds.SeqpacketSocket;
import io.ambientjava.ztunnel.inpod.PodInfo;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntime;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig;
import io.ambientjava.ztunnel.testsupport.RecordingObserver;
import io.ambientjava.ztunnel.testsupport.TestMesh;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * ztunnel facing a node agent that misbehaves: garbage bytes, descriptors that are not network namespaces, requests
 * for pods it does not have. Each is nacked with a text naming the problem and the client keeps serving.
 */
@RequiresRoot
@RequiresCommand({"ip", "ss"})
@Timeout(60)
class ZdsBadPeerTest {

    @RegisterExtension
    final NetnsTopology net = NetnsTopology.singleNode();

    @TempDir
    Path dir;

    private final TestMesh mesh = new TestMesh(net);

    private ZtunnelRuntime newRuntime() {
        return net.onTeardown(ZtunnelRuntime.start(ZtunnelRuntimeConfig.of(
                        "node1",
                        TestMesh.TRUST_DOMAIN,
                        mesh.store(),
                        new LocalCaCertificateProvider(TestMesh.ca()),
                        new RecordingObserver())
                .withDrainTimeout(Duration.ofMillis(300))));
    }

    @Test
    void aHostileAgentIsNackedWithClearTextsAndTheClientKeepsServing() throws Exception {
        Pod a = net.node(1).addPod("a");
        ZtunnelRuntime runtime = newRuntime();
        Path socket = dir.resolve("agent.sock");
        SeqpacketSocket listener = net.onTeardown(SeqpacketSocket.listen(socket, 1));
        ZdsPodSource source = net.onTeardown(ZdsPodSource.start(socket, runtime, Duration.ofSeconds(4), QUICK));
        SeqpacketSocket agent = net.onTeardown(listener.accept());
        agent.setReceiveTimeout(WAIT);
        ZdsHello hello = ZdsHello.parseFrom(agent.receive(1024).orElseThrow().data());
        assertThat(hello.getVersion()).isEqualTo(Version.V1);

        assertThat(exchange(agent, "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII), OptionalInt.empty()))
                .startsWith("cannot parse WorkloadRequest");
        Path plainFile = Files.writeString(dir.resolve("plain-file"), "not a namespace");
        int fileFd = NamespaceFds.open(plainFile);
        try {
            assertThat(exchange(agent, add("uid-file").toByteArray(), OptionalInt.of(fileFd)))
                    .isEqualTo("AddWorkload uid-file: fd is not a network namespace");
        } finally {
            NamespaceFds.close(fileFd);
        }
        assertThat(exchange(agent, add("uid-socket").toByteArray(), OptionalInt.of(listener.fd())))
                .isEqualTo("AddWorkload uid-socket: fd is not a network namespace");
        int mountNs = NamespaceFds.open(Path.of("/proc/self/ns/mnt"));
        try {
            assertThat(exchange(agent, add("uid-mnt").toByteArray(), OptionalInt.of(mountNs)))
                    .isEqualTo("AddWorkload uid-mnt: fd is not a network namespace");
        } finally {
            NamespaceFds.close(mountNs);
        }
        assertThat(exchange(agent, add("uid-none").toByteArray(), OptionalInt.empty()))
                .isEqualTo("AddWorkload uid-none carries no network namespace fd");
        assertThat(exchange(
                        agent,
                        WorkloadRequest.newBuilder()
                                .setKeep(KeepWorkload.newBuilder().setUid("uid-ghost"))
                                .build()
                                .toByteArray(),
                        OptionalInt.empty()))
                .isEqualTo("KeepWorkload uid-ghost: no such pod in this ztunnel, and without its network namespace"
                        + " it cannot be enrolled");
        // A well-formed message with only an unknown field (9, varint 1): nothing ztunnel could act on.
        assertThat(exchange(agent, new byte[] {0x48, 0x01}, OptionalInt.empty()))
                .isEqualTo("WorkloadRequest has no payload");
        assertThat(runtime.pods()).isEmpty();
        assertThat(source.firstSnapshot()).isNotDone();

        int netns = NamespaceFds.open(a.netnsPath());
        try {
            assertThat(exchange(agent, add(uid(a)).toByteArray(), OptionalInt.of(netns)))
                    .isEmpty();
        } finally {
            NamespaceFds.close(netns);
        }
        assertThat(exchange(
                        agent,
                        WorkloadRequest.newBuilder()
                                .setSnapshotSent(SnapshotSent.getDefaultInstance())
                                .build()
                                .toByteArray(),
                        OptionalInt.empty()))
                .isEmpty();
        assertThat(source.firstSnapshot()).isDone();
        assertListening(a);
        assertThat(runtime.pods()).extracting(PodInfo::uid).containsExactly(uid(a));
    }

    @Test
    void theStateManagerChecksTheDescriptorItselfAndLeavesItToTheCallerOnFailure() throws Exception {
        ZtunnelRuntime runtime = newRuntime();
        PodStateManager state = new PodStateManager(runtime, Duration.ofSeconds(2));
        Path plainFile = Files.writeString(dir.resolve("plain-file"), "x");
        int fd = NamespaceFds.open(plainFile);
        try {
            var outcome = state.add("uid-file", WorkloadInfo.getDefaultInstance(), fd);

            assertThat(outcome.isOk()).isFalse();
            assertThat(outcome.error())
                    .startsWith("AddWorkload uid-file: pod uid-file is not a network namespace: not a namespace file");
            assertThat(Files.exists(Path.of("/proc/self/fd/" + fd)))
                    .as("the caller's descriptor is still open")
                    .isTrue();
        } finally {
            NamespaceFds.close(fd);
        }
        assertThat(state.add("uid-bad-fd", WorkloadInfo.getDefaultInstance(), -1)
                        .error())
                .isEqualTo("AddWorkload uid-bad-fd: pod uid-bad-fd: -1 is not a file descriptor");
        assertThat(state.keep("uid-ghost").error()).startsWith("KeepWorkload uid-ghost: no such pod");
        assertThat(state.delete("uid-ghost").isOk())
                .as("deleting an unknown pod is fine")
                .isTrue();
        assertThatThrownBy(() -> new PodStateManager(runtime, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("addTimeout must be positive, was PT0S");
        assertThat(runtime.pods()).isEmpty();
    }

    private static WorkloadRequest add(String uid) {
        return WorkloadRequest.newBuilder()
                .setAdd(AddWorkload.newBuilder()
                        .setUid(uid)
                        .setWorkloadInfo(WorkloadInfo.newBuilder()
                                .setName("x")
                                .setNamespace("default")
                                .setServiceAccount("x")))
                .build();
    }

    /** Sends one message (with an fd when given) and returns the ack's error text. */
    private static String exchange(SeqpacketSocket agent, byte[] bytes, OptionalInt fd) throws Exception {
        agent.send(bytes, fd);
        WorkloadResponse response =
                WorkloadResponse.parseFrom(agent.receive(1024).orElseThrow().data());
        assertThat(response.hasAck()).isTrue();
        return response.getAck().getError();
    }
}
