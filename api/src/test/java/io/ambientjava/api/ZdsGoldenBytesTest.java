package io.ambientjava.api;

import static io.ambientjava.api.Wire.assertEncodes;
import static io.ambientjava.api.Wire.bytes;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ambientjava.api.zds.Ack;
import io.ambientjava.api.zds.AddWorkload;
import io.ambientjava.api.zds.DelWorkload;
import io.ambientjava.api.zds.KeepWorkload;
import io.ambientjava.api.zds.SnapshotSent;
import io.ambientjava.api.zds.Version;
import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.api.zds.WorkloadRequest;
import io.ambientjava.api.zds.WorkloadResponse;
import io.ambientjava.api.zds.ZdsHello;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Hand-derived bytes (tag = field_number << 3 | wire_type) for the istio.workload.zds messages. */
class ZdsGoldenBytesTest {

    @Test
    void hello() throws InvalidProtocolBufferException {
        // version = V1 (1): 1<<3|0
        assertEncodes(ZdsHello.newBuilder().setVersion(Version.V1).build(), bytes(0x08, 0x01));
    }

    @Test
    void workloadInfo() throws InvalidProtocolBufferException {
        var info = WorkloadInfo.newBuilder()
                .setName("p")
                .setNamespace("n")
                .setServiceAccount("s")
                .build();
        // name 1<<3|2, namespace 2<<3|2, service_account 3<<3|2
        assertEncodes(info, bytes(0x0A, 0x01, 'p', 0x12, 0x01, 'n', 0x1A, 0x01, 's'));
    }

    @Test
    void addWorkload() throws InvalidProtocolBufferException {
        var add = AddWorkload.newBuilder()
                .setUid("u")
                .setWorkloadInfo(WorkloadInfo.newBuilder().setName("p"))
                .build();
        assertEncodes(
                add,
                bytes(
                        bytes(0x0A, 0x01, 'u'), // uid: 1<<3|2
                        bytes(0x12, 0x03, 0x0A, 0x01, 'p') // workload_info: 2<<3|2 {name: 1<<3|2}
                        ));
    }

    @Test
    void keepWorkloadUidIsField1() throws InvalidProtocolBufferException {
        assertEncodes(KeepWorkload.newBuilder().setUid("u").build(), bytes(0x0A, 0x01, 'u'));
    }

    @Test
    void delWorkloadUidIsField2() throws InvalidProtocolBufferException {
        // uid: 2<<3|2 = 0x12 (upstream numbers it 2, unlike AddWorkload and KeepWorkload)
        assertEncodes(DelWorkload.newBuilder().setUid("u").build(), bytes(0x12, 0x01, 'u'));
    }

    @Test
    void snapshotSentIsEmpty() throws InvalidProtocolBufferException {
        assertEncodes(SnapshotSent.getDefaultInstance(), bytes());
    }

    @Test
    void ack() throws InvalidProtocolBufferException {
        assertEncodes(Ack.newBuilder().setError("e").build(), bytes(0x0A, 0x01, 'e'));
    }

    static Stream<Arguments> requestPayloads() {
        return Stream.of(
                Arguments.of(
                        "add = 1",
                        WorkloadRequest.newBuilder()
                                .setAdd(AddWorkload.newBuilder().setUid("u"))
                                .build(),
                        bytes(0x0A, 0x03, 0x0A, 0x01, 'u')),
                Arguments.of(
                        "del = 2",
                        WorkloadRequest.newBuilder()
                                .setDel(DelWorkload.newBuilder().setUid("u"))
                                .build(),
                        bytes(0x12, 0x03, 0x12, 0x01, 'u')),
                Arguments.of(
                        "snapshot_sent = 3",
                        WorkloadRequest.newBuilder()
                                .setSnapshotSent(SnapshotSent.getDefaultInstance())
                                .build(),
                        bytes(0x1A, 0x00)),
                Arguments.of(
                        "keep = 5",
                        WorkloadRequest.newBuilder()
                                .setKeep(KeepWorkload.newBuilder().setUid("u"))
                                .build(),
                        bytes(0x2A, 0x03, 0x0A, 0x01, 'u')));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requestPayloads")
    void workloadRequestOneof(String field, WorkloadRequest request, byte[] expected)
            throws InvalidProtocolBufferException {
        assertEncodes(request, expected);
    }

    @Test
    void workloadResponseCarriesAckAsField1() throws InvalidProtocolBufferException {
        var ok = WorkloadResponse.newBuilder().setAck(Ack.getDefaultInstance()).build();
        assertEncodes(ok, bytes(0x0A, 0x00)); // ack: 1<<3|2, empty error omitted

        var failed = WorkloadResponse.newBuilder()
                .setAck(Ack.newBuilder().setError("e"))
                .build();
        assertEncodes(failed, bytes(0x0A, 0x03, 0x0A, 0x01, 'e'));
    }
}
