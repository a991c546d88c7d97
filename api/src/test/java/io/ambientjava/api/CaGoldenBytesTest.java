package io.ambientjava.api;

import static io.ambientjava.api.Wire.assertEncodes;
import static io.ambientjava.api.Wire.bytes;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.api.ca.IstioCertificateRequest;
import io.ambientjava.api.ca.IstioCertificateResponse;
import io.ambientjava.api.ca.Roots;
import org.junit.jupiter.api.Test;

/**
 * Hand-derived bytes (tag = field_number << 3 | wire_type) for the istio.v1.auth messages. In the comments, "&gt;"
 * marks bytes inside the enclosing nested message.
 */
class CaGoldenBytesTest {

    @Test
    void certificateRequest() throws InvalidProtocolBufferException {
        var request = IstioCertificateRequest.newBuilder()
                .setCsr("c")
                .setValidityDuration(86_400)
                .setMetadata(Struct.newBuilder()
                        .putFields("k", Value.newBuilder().setStringValue("v").build()))
                .build();
        assertEncodes(
                request,
                bytes(
                        bytes(0x0A, 0x01, 'c'), // csr: 1<<3|2; field 2 is unused upstream
                        bytes(0x18, 0x80, 0xA3, 0x05), // validity_duration: 3<<3|0; 86400 = 5*128^2 + 35*128 + 0
                        bytes(0x22, 0x0A), // metadata: 4<<3|2, Struct of 10 bytes
                        bytes(0x0A, 0x08), // > Struct.fields map entry: field 1, 8 bytes
                        bytes(0x0A, 0x01, 'k'), // >> key: field 1
                        bytes(0x12, 0x03, 0x1A, 0x01, 'v') // >> value: field 2, Value{string_value: 3<<3|2}
                        ));
    }

    @Test
    void certificateResponse() throws InvalidProtocolBufferException {
        var response = IstioCertificateResponse.newBuilder()
                .addCertChain("a")
                .addCertChain("b")
                .setRootCert(Roots.newBuilder().addCaCert("r"))
                .build();
        assertEncodes(
                response,
                bytes(
                        bytes(0x0A, 0x01, 'a'), // cert_chain[0]: 1<<3|2 (leaf first)
                        bytes(0x0A, 0x01, 'b'), // cert_chain[1]
                        bytes(0x12, 0x03, 0x0A, 0x01, 'r') // root_cert: 2<<3|2 {ca_cert: 1<<3|2}
                        ));
    }

    @Test
    void roots() throws InvalidProtocolBufferException {
        var roots = Roots.newBuilder().addCaCert("r1").addCaCert("r2").build();
        assertEncodes(roots, bytes(0x0A, 0x02, "r1", 0x0A, 0x02, "r2")); // ca_cert: 1<<3|2, twice
    }
}
