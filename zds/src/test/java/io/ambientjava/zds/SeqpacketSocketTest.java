package io.ambientjava.zds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeqpacketSocketTest {
    @TempDir
    Path dir;

    private SeqpacketSocket listener;
    private SeqpacketSocket client;
    private SeqpacketSocket server;

    @BeforeEach
    void connect() throws IOException {
        Path path = dir.resolve("s.sock");
        listener = SeqpacketSocket.listen(path, 4);
        client = SeqpacketSocket.connect(path);
        server = listener.accept();
        server.setReceiveTimeout(Duration.ofSeconds(5));
        client.setReceiveTimeout(Duration.ofSeconds(5));
    }

    @AfterEach
    void closeAll() {
        client.close();
        server.close();
        listener.close();
    }

    @Test
    void keepsMessageBoundaries() throws IOException {
        client.send(bytes("first"), OptionalInt.empty());
        client.send(bytes("second message"), OptionalInt.empty());

        assertThat(text(server.receive(1024).orElseThrow())).isEqualTo("first");
        assertThat(text(server.receive(1024).orElseThrow())).isEqualTo("second message");
    }

    @Test
    void passesAFileDescriptor() throws IOException {
        Path file = Files.writeString(dir.resolve("passed.txt"), "x");
        int fd = NamespaceFds.open(file);
        try {
            client.send(bytes("with fd"), OptionalInt.of(fd));
        } finally {
            NamespaceFds.close(fd);
        }

        ReceivedMessage received = server.receive(1024).orElseThrow();
        try {
            assertThat(text(received)).isEqualTo("with fd");
            assertThat(received.fds()).hasSize(1);
            Object passedInode =
                    Files.getAttribute(Path.of("/proc/self/fd/" + received.fds().getFirst()), "unix:ino");
            assertThat(passedInode).isEqualTo(Files.getAttribute(file, "unix:ino"));
        } finally {
            received.closeFds();
        }
    }

    @Test
    void endOfStreamWhenThePeerCloses() throws IOException {
        client.close();

        assertThat(server.receive(1024)).isEmpty();
    }

    @Test
    void tooLongMessageIsReportedAndTheNextOneStillArrives() throws IOException {
        client.send(new byte[2000], OptionalInt.empty());
        client.send(bytes("after"), OptionalInt.empty());

        assertThatThrownBy(() -> server.receive(1024))
                .isInstanceOf(TruncatedMessageException.class)
                .hasMessageContaining("longer than 1024 bytes");
        assertThat(text(server.receive(1024).orElseThrow())).isEqualTo("after");
    }

    @Test
    void receiveTimesOut() throws IOException {
        server.setReceiveTimeout(Duration.ofMillis(100));

        assertThatThrownBy(() -> server.receive(1024))
                .isInstanceOf(SocketTimeoutException.class)
                .hasMessageContaining("timed out");
    }

    @Test
    void pollTellsNothingFromClosed() throws IOException {
        assertThat(server.poll(1024)).isInstanceOf(SeqpacketSocket.PollResult.Nothing.class);
        client.send(bytes("m"), OptionalInt.empty());
        assertThat(server.poll(1024)).isInstanceOf(SeqpacketSocket.PollResult.Message.class);
        client.close();
        assertThat(server.poll(1024)).isInstanceOf(SeqpacketSocket.PollResult.PeerClosed.class);
    }

    @Test
    void closeWakesABlockedAccept() throws Exception {
        CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
            try {
                listener.accept();
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        Thread.sleep(100);
        listener.close();

        assertThat(failure.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
    }

    @Test
    void connectToAMissingPathNamesPathAndErrno() {
        Path missing = dir.resolve("nobody-here.sock");

        assertThatThrownBy(() -> SeqpacketSocket.connect(missing))
                .isInstanceOf(NativeException.class)
                .hasMessageContaining("connect " + missing)
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void pathTooLongForSockaddrIsRefused() {
        Path tooLong = dir.resolve("x".repeat(120));

        assertThatThrownBy(() -> SeqpacketSocket.listen(tooLong, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unix socket path must be 1..107 bytes");
    }

    @Test
    void usingAClosedSocketFails() {
        client.close();

        assertThatThrownBy(() -> client.send(bytes("late"), OptionalInt.empty()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is closed");
    }

    @Test
    void aRegularFileIsNotANetworkNamespace() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        int fd = NamespaceFds.open(file);
        try {
            assertThat(NamespaceFds.isNetworkNamespace(fd)).isFalse();
        } finally {
            NamespaceFds.close(fd);
        }
        int own = NamespaceFds.open(Path.of("/proc/self/ns/net"));
        try {
            assertThat(NamespaceFds.isNetworkNamespace(own)).isTrue();
        } finally {
            NamespaceFds.close(own);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(ReceivedMessage message) {
        return new String(message.data(), StandardCharsets.UTF_8);
    }
}
