package io.ambientjava.zds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.api.zds.AddWorkload;
import io.ambientjava.api.zds.DelWorkload;
import io.ambientjava.api.zds.Version;
import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.api.zds.WorkloadRequest;
import io.ambientjava.api.zds.WorkloadResponse;
import io.ambientjava.api.zds.ZdsHello;
import io.ambientjava.testing.RequiresRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node agent's server and ztunnel's client talking over a real socket, with real network namespaces. */
@RequiresRoot
class ZdsExchangeTest {
    private static final ZdsServer.Settings FAST = new ZdsServer.Settings(Duration.ofSeconds(2), Duration.ofSeconds(2));
    private static final ZdsClient.Backoff QUICK = new ZdsClient.Backoff(Duration.ofMillis(20), Duration.ofMillis(200));

    @TempDir
    Path dir;

    private final Deque<AutoCloseable> cleanup = new ArrayDeque<>();

    @AfterEach
    void cleanUp() throws Exception {
        while (!cleanup.isEmpty()) {
            cleanup.pop().close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        cleanup.push(resource);
        return resource;
    }

    private Path socketPath() {
        return dir.resolve("run/ztunnel.sock");
    }

    private static WorkloadInfo info(String name) {
        return WorkloadInfo.newBuilder()
                .setName(name)
                .setNamespace("default")
                .setServiceAccount("sa-" + name)
                .build();
    }

    @Test
    void snapshotHandsOverTheVeryNetworkNamespaces() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        TestNetns b = closeLater(TestNetns.create());
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        assertThat(Files.getPosixFilePermissions(socketPath().getParent()))
                .extracting(Object::toString)
                .asString()
                .doesNotContain("OTHERS");

        CompletableFuture<Void> beforeConnect = server.addPod("uid-a", info("a"), a.path());
        server.addPod("uid-b", info("b"), b.path());
        assertThatThrownBy(() -> beforeConnect.get(1, TimeUnit.SECONDS))
                .hasCauseInstanceOf(ZdsException.class)
                .hasMessageContaining("no ztunnel connected");

        RecordingHandler handler = new RecordingHandler();
        closeLater(ZdsClient.start(socketPath(), handler, QUICK));

        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.next()).isEqualTo("add uid-b");
        assertThat(handler.next()).isEqualTo("snapshot sent");
        assertThat(handler.netnsInodes.get("uid-a")).isEqualTo(a.inode());
        assertThat(handler.netnsInodes.get("uid-b")).isEqualTo(b.inode());
        assertThat(handler.netnsInodes.get("uid-a")).isNotEqualTo(handler.netnsInodes.get("uid-b"));
        assertThat(handler.infos.get("uid-b")).isEqualTo(info("b"));
        await().atMost(Duration.ofSeconds(5)).until(server::ztunnelConnected);
    }

    @Test
    void liveAddAndRemoveAreAcked() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        RecordingHandler handler = new RecordingHandler();
        closeLater(ZdsClient.start(socketPath(), handler, QUICK));
        assertThat(handler.next()).isEqualTo("snapshot sent");
        await().atMost(Duration.ofSeconds(5)).until(server::ztunnelConnected);

        server.addPod("uid-a", info("a"), a.path()).get(5, TimeUnit.SECONDS);
        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.netnsInodes.get("uid-a")).isEqualTo(a.inode());
        assertThat(server.pods()).containsExactly("uid-a");

        server.removePod("uid-a").get(5, TimeUnit.SECONDS);
        assertThat(handler.next()).isEqualTo("delete uid-a");
        assertThat(server.pods()).isEmpty();
    }

    @Test
    void aPodGivenByDescriptorStaysUsableAfterTheCallerClosesIt() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        int callersFd = NamespaceFds.open(a.path());
        try {
            server.addPod("uid-a", info("a"), callersFd);
        } finally {
            NamespaceFds.close(callersFd);
        }

        RecordingHandler handler = new RecordingHandler();
        closeLater(ZdsClient.start(socketPath(), handler, QUICK));
        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.netnsInodes.get("uid-a")).isEqualTo(a.inode());
        assertThat(handler.next()).isEqualTo("snapshot sent");

        server.removePod("uid-a").get(5, TimeUnit.SECONDS);
        assertThat(handler.next()).isEqualTo("delete uid-a");
        assertThatThrownBy(() -> server.addPod("uid-b", info("b"), 9999))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("netns fd 9999 of pod uid-b is not usable");
    }

    @Test
    void aNackTravelsBackAsTheErrorText() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        RecordingHandler handler = new RecordingHandler();
        handler.refusals.put("uid-a", "workload uid-a unknown to xds");
        closeLater(ZdsClient.start(socketPath(), handler, QUICK));
        await().atMost(Duration.ofSeconds(5)).until(server::ztunnelConnected);

        CompletableFuture<Void> add = server.addPod("uid-a", info("a"), a.path());

        assertThatThrownBy(() -> add.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(ZdsException.class)
                .hasMessageContaining("workload uid-a unknown to xds")
                .extracting(e -> ((ZdsException) e).kind())
                .isEqualTo(ZdsException.Kind.NACK);
    }

    @Test
    void aMissingNetnsIsAClearFailure() throws Exception {
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        RecordingHandler handler = new RecordingHandler();
        closeLater(ZdsClient.start(socketPath(), handler, QUICK));
        await().atMost(Duration.ofSeconds(5)).until(server::ztunnelConnected);

        CompletableFuture<Void> add = server.addPod("uid-x", info("x"), dir.resolve("no-such-netns"));

        assertThatThrownBy(() -> add.get(5, TimeUnit.SECONDS))
                .hasMessageContaining("cannot open netns of AddWorkload uid-x")
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void garbageInsteadOfHelloDropsOnlyThatConnection() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        server.addPod("uid-a", info("a"), a.path());

        try (SeqpacketSocket bad = SeqpacketSocket.connect(socketPath())) {
            bad.setReceiveTimeout(Duration.ofSeconds(5));
            bad.send("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII), OptionalInt.empty());
            assertThat(bad.receive(1024)).as("server closes the connection").isEmpty();
        }
        assertThat(server.ztunnelConnected()).isFalse();

        RecordingHandler handler = new RecordingHandler();
        closeLater(ZdsClient.start(socketPath(), handler, QUICK));
        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.next()).isEqualTo("snapshot sent");
    }

    @Test
    void clientNacksBadDescriptorsAndKeepsRunning() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        Path path = socketPath();
        Files.createDirectories(path.getParent());
        SeqpacketSocket listener = closeLater(SeqpacketSocket.listen(path, 1));
        RecordingHandler handler = new RecordingHandler();
        closeLater(ZdsClient.start(path, handler, QUICK));
        SeqpacketSocket agent = closeLater(listener.accept());
        agent.setReceiveTimeout(Duration.ofSeconds(5));
        ZdsHello hello = ZdsHello.parseFrom(agent.receive(1024).orElseThrow().data());
        assertThat(hello.getVersion()).isEqualTo(Version.V1);

        Path plainFile = Files.writeString(dir.resolve("plain"), "not a namespace");
        assertThat(exchange(agent, add("uid-file"), plainFile))
                .isEqualTo("AddWorkload uid-file: fd is not a network namespace");
        assertThat(exchange(agent, add("uid-nofd"), null))
                .isEqualTo("AddWorkload uid-nofd carries no network namespace fd");
        assertThat(exchange(agent, del("uid-x"), a.path())).isEqualTo("unexpected file descriptors with DEL");
        assertThat(exchangeRaw(agent, new byte[] {(byte) 0xff, (byte) 0xff, 0x01}))
                .startsWith("cannot parse WorkloadRequest");
        assertThat(exchangeRaw(agent, new byte[2000])).contains("truncated");

        assertThat(exchange(agent, add("uid-a"), a.path())).isEmpty();
        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.netnsInodes.get("uid-a")).isEqualTo(a.inode());
        assertThat(handler.nextOrNull(Duration.ofMillis(100))).isNull();
    }

    @Test
    void aNewClientGetsTheSnapshotAgain() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        server.addPod("uid-a", info("a"), a.path());
        RecordingHandler first = new RecordingHandler();
        ZdsClient firstClient = ZdsClient.start(socketPath(), first, QUICK);
        assertThat(first.next()).isEqualTo("add uid-a");
        assertThat(first.next()).isEqualTo("snapshot sent");
        firstClient.close();

        RecordingHandler second = new RecordingHandler();
        closeLater(ZdsClient.start(socketPath(), second, QUICK));
        assertThat(second.next()).isEqualTo("add uid-a");
        assertThat(second.next()).isEqualTo("snapshot sent");
        assertThat(second.netnsInodes.get("uid-a")).isEqualTo(a.inode());
        await().atMost(Duration.ofSeconds(5)).until(server::ztunnelConnected);
        assertThat(server.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    void afterAnAgentRestartPodsNotReplayedAreDeleted() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        TestNetns b = closeLater(TestNetns.create());
        ZdsServer firstAgent = ZdsServer.start(socketPath(), FAST);
        firstAgent.addPod("uid-a", info("a"), a.path());
        firstAgent.addPod("uid-b", info("b"), b.path());
        RecordingHandler handler = new RecordingHandler();
        ZdsClient client = closeLater(ZdsClient.start(socketPath(), handler, QUICK));
        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.next()).isEqualTo("add uid-b");
        assertThat(handler.next()).isEqualTo("snapshot sent");
        firstAgent.close();

        ZdsServer secondAgent = closeLater(ZdsServer.start(socketPath(), FAST));
        secondAgent.addPod("uid-a", info("a"), a.path());

        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.next()).isEqualTo("delete uid-b");
        assertThat(handler.next()).isEqualTo("snapshot sent");
        assertThat(client.sessions()).isEqualTo(2);
        assertThat(handler.connections).as("told of each new connection").hasValue(2);
    }

    @Test
    void aClientAnsweringGarbageIsDroppedAndTheServerKeepsServing() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        server.addPod("uid-a", info("a"), a.path());

        try (SeqpacketSocket bad = SeqpacketSocket.connect(socketPath())) {
            bad.setReceiveTimeout(Duration.ofSeconds(5));
            bad.send(ZdsHello.newBuilder().setVersion(Version.V1).build().toByteArray(), OptionalInt.empty());
            ReceivedMessage add = bad.receive(1024).orElseThrow();
            add.closeFds();
            assertThat(WorkloadRequest.parseFrom(add.data()).hasAdd()).isTrue();
            bad.send(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, OptionalInt.empty());
            assertThat(bad.receive(1024)).as("server drops the connection").isEmpty();
        }
        try (SeqpacketSocket chatty = SeqpacketSocket.connect(socketPath())) {
            chatty.setReceiveTimeout(Duration.ofSeconds(5));
            chatty.send(ZdsHello.newBuilder().setVersion(Version.V1).build().toByteArray(), OptionalInt.empty());
            chatty.receive(1024).orElseThrow().closeFds();
            chatty.send(ack(""), OptionalInt.empty());
            assertThat(WorkloadRequest.parseFrom(
                                    chatty.receive(1024).orElseThrow().data())
                            .hasSnapshotSent())
                    .isTrue();
            chatty.send(ack(""), OptionalInt.empty());
            await().atMost(Duration.ofSeconds(5)).until(server::ztunnelConnected);
            chatty.send("unprompted".getBytes(StandardCharsets.US_ASCII), OptionalInt.empty());
            assertThat(chatty.receive(1024))
                    .as("unprompted message ends the connection")
                    .isEmpty();
        }
        assertThat(server.ztunnelConnected()).isFalse();

        RecordingHandler handler = new RecordingHandler();
        closeLater(ZdsClient.start(socketPath(), handler, QUICK));
        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.next()).isEqualTo("snapshot sent");
        assertThat(handler.connections).hasValue(1);
        assertThat(server.pods()).containsExactly("uid-a");
    }

    @Test
    void aPodWhoseNetnsIsGoneIsReplayedAsKeepAndSurvivesTheSnapshot() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer firstAgent = ZdsServer.start(socketPath(), FAST);
        firstAgent.addPod("uid-a", info("a"), a.path());
        RecordingHandler handler = new RecordingHandler();
        closeLater(ZdsClient.start(socketPath(), handler, QUICK));
        assertThat(handler.next()).isEqualTo("add uid-a");
        assertThat(handler.next()).isEqualTo("snapshot sent");
        firstAgent.close();

        ZdsServer secondAgent = closeLater(ZdsServer.start(socketPath(), FAST));
        secondAgent.addPod("uid-a", info("a"), dir.resolve("netns-no-longer-there"));

        assertThat(handler.next()).isEqualTo("keep uid-a");
        assertThat(handler.next()).isEqualTo("snapshot sent");
        assertThat(handler.nextOrNull(Duration.ofMillis(200))).as("no delete").isNull();
    }

    @Test
    void aNewerZtunnelReplacesTheOlderConnection() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        try (SeqpacketSocket old = SeqpacketSocket.connect(socketPath())) {
            old.setReceiveTimeout(Duration.ofSeconds(5));
            old.send(ZdsHello.newBuilder().setVersion(Version.V1).build().toByteArray(), OptionalInt.empty());
            WorkloadRequest snapshot =
                    WorkloadRequest.parseFrom(old.receive(1024).orElseThrow().data());
            assertThat(snapshot.hasSnapshotSent()).isTrue();
            old.send(ack(""), OptionalInt.empty());
            await().atMost(Duration.ofSeconds(5)).until(server::ztunnelConnected);

            RecordingHandler handler = new RecordingHandler();
            closeLater(ZdsClient.start(socketPath(), handler, QUICK));
            assertThat(handler.next()).isEqualTo("snapshot sent");
            assertThat(old.receive(1024))
                    .as("old connection closed by the agent")
                    .isEmpty();

            server.addPod("uid-a", info("a"), a.path()).get(5, TimeUnit.SECONDS);
            assertThat(handler.next()).isEqualTo("add uid-a");
        }
    }

    @Test
    void aZtunnelThatNeverAcksFailsTheRequest() throws Exception {
        TestNetns a = closeLater(TestNetns.create());
        ZdsServer server = closeLater(
                ZdsServer.start(socketPath(), new ZdsServer.Settings(Duration.ofSeconds(2), Duration.ofMillis(300))));
        try (SeqpacketSocket mute = SeqpacketSocket.connect(socketPath())) {
            mute.setReceiveTimeout(Duration.ofSeconds(5));
            mute.send(ZdsHello.newBuilder().setVersion(Version.V1).build().toByteArray(), OptionalInt.empty());
            mute.receive(1024).orElseThrow();
            mute.send(ack(""), OptionalInt.empty());
            await().atMost(Duration.ofSeconds(5)).until(server::ztunnelConnected);

            CompletableFuture<Void> add = server.addPod("uid-a", info("a"), a.path());

            assertThatThrownBy(() -> add.get(5, TimeUnit.SECONDS))
                    .hasMessageContaining("AddWorkload uid-a not acked")
                    .hasMessageContaining("timed out");
            await().atMost(Duration.ofSeconds(5)).until(() -> !server.ztunnelConnected());
        }
    }

    @Test
    void badArgumentsAreRefused() throws Exception {
        ZdsServer server = closeLater(ZdsServer.start(socketPath(), FAST));
        assertThatThrownBy(() -> server.addPod(" ", info("a"), dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("uid must not be blank");
        assertThatThrownBy(() -> new ZdsServer.Settings(Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessageContaining("helloTimeout must be positive");
        assertThatThrownBy(() -> new ZdsClient.Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("max backoff must be at least");
    }

    private static WorkloadRequest add(String uid) {
        return WorkloadRequest.newBuilder()
                .setAdd(AddWorkload.newBuilder().setUid(uid).setWorkloadInfo(info(uid)))
                .build();
    }

    private static WorkloadRequest del(String uid) {
        return WorkloadRequest.newBuilder()
                .setDel(DelWorkload.newBuilder().setUid(uid))
                .build();
    }

    private static byte[] ack(String error) {
        return WorkloadResponse.newBuilder()
                .setAck(io.ambientjava.api.zds.Ack.newBuilder().setError(error))
                .build()
                .toByteArray();
    }

    /** Sends {@code request} (with {@code fdSource} opened and passed when given) and returns the ack's error. */
    private static String exchange(SeqpacketSocket agent, WorkloadRequest request, Path fdSource) throws Exception {
        OptionalInt fd = fdSource == null ? OptionalInt.empty() : OptionalInt.of(NamespaceFds.open(fdSource));
        try {
            agent.send(request.toByteArray(), fd);
        } finally {
            fd.ifPresent(NamespaceFds::close);
        }
        return readAck(agent);
    }

    private static String exchangeRaw(SeqpacketSocket agent, byte[] bytes) throws Exception {
        agent.send(bytes, OptionalInt.empty());
        return readAck(agent);
    }

    private static String readAck(SeqpacketSocket agent) throws Exception {
        WorkloadResponse response =
                WorkloadResponse.parseFrom(agent.receive(1024).orElseThrow().data());
        assertThat(response.hasAck()).isTrue();
        return response.getAck().getError();
    }
}
