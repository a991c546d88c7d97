package io.ambientjava.hbone.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EchoRoundTripTest {

    @Test
    void roundTripShowsEachHopAndReturnsTheBytesIntact() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);

        boolean identical = new EchoRoundTrip(out).run(3, 16 * 1024);

        String printed = captured.toString(StandardCharsets.UTF_8);
        assertThat(identical).isTrue();
        assertThat(printed)
                .contains("server       CONNECT 127.0.0.1:")
                .contains("from peer spiffe://cluster.local/ns/demo/sa/client")
                .contains("forwarded: for=")
                .contains("round trip   #3: 16384 bytes")
                .contains("OK           every byte came back intact");
    }
}
