package io.ambientjava.api;

import static io.ambientjava.api.Wire.bytes;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.ambientjava.api.ca.IstioCertificateRequest;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.workload.Address;
import io.ambientjava.api.workload.Workload;
import io.ambientjava.api.zds.Ack;
import io.ambientjava.api.zds.WorkloadRequest;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MalformedInputTest {

    static Stream<Arguments> malformed() {
        byte[] workloadWithUid = bytes(0xA2, 0x01, 0x03, "uid");
        return Stream.of(
                Arguments.of(
                        "truncated string (last byte of uid missing)",
                        Workload.parser(),
                        Arrays.copyOf(workloadWithUid, workloadWithUid.length - 1),
                        "ended unexpectedly"),
                Arguments.of(
                        "nested message longer than the input",
                        Address.parser(),
                        bytes(0x0A, 0x05, 0x0A, 0x01),
                        "ended unexpectedly"),
                Arguments.of(
                        "varint that never ends",
                        WorkloadRequest.parser(),
                        bytes(0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
                        "malformed varint"),
                Arguments.of("wire type 7 does not exist", Authorization.parser(), bytes(0x0F), "invalid wire type"),
                Arguments.of("field number 0", IstioCertificateRequest.parser(), bytes(0x00), "invalid tag (zero)"),
                Arguments.of("end-group without start-group", Authorization.parser(), bytes(0x0C), "end-group tag"),
                Arguments.of(
                        "string field that is not UTF-8",
                        Ack.parser(),
                        bytes(0x0A, 0x02, 0xC3, 0x28),
                        "invalid UTF-8"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void parsingGarbageFailsWithAnExplanation(String what, Parser<?> parser, byte[] input, String explanation) {
        assertThatThrownBy(() -> parser.parseFrom(input))
                .as(what)
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining(explanation);
    }
}
