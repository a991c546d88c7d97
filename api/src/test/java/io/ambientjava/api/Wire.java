package io.ambientjava.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Hand-written protobuf wire bytes for golden tests, and the check that a message encodes to them. */
final class Wire {
    private Wire() {}

    /**
     * Concatenates readable parts into bytes: an {@code Integer} is one byte (0..255), a {@code Character} its ASCII
     * byte, a {@code String} its ASCII bytes, a {@code byte[]} itself (so one field's bytes can be grouped on a line).
     */
    static byte[] bytes(Object... parts) {
        var out = new ByteArrayOutputStream();
        for (Object part : parts) {
            switch (part) {
                case Integer b when b >= 0 && b <= 0xFF -> out.write(b);
                case Character c when c < 0x80 -> out.write(c);
                case String s -> out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
                case byte[] group -> out.writeBytes(group);
                default -> throw new IllegalArgumentException("not a byte, ASCII char or string: " + part);
            }
        }
        return out.toByteArray();
    }

    static String hex(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    /** The message must serialize to exactly {@code expected}, and {@code expected} must parse back to it. */
    static void assertEncodes(Message message, byte[] expected) throws InvalidProtocolBufferException {
        String type = message.getDescriptorForType().getFullName();
        assertThat(hex(message.toByteArray())).as("bytes of %s", type).isEqualTo(hex(expected));
        Message parsed = message.getParserForType().parseFrom(expected);
        assertThat(parsed).as("%s parsed from the golden bytes", type).isEqualTo(message);
        assertThat(parsed.getUnknownFields().asMap())
                .as("fields of %s not recognised by our schema", type)
                .isEmpty();
    }
}
