package io.ambientjava.istiod.xds;

import com.google.protobuf.Any;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One named xDS resource with its content version. The version is a hash of the deterministic encoding, so it
 * changes exactly when the content does and stays the same across restarts: a client reconnecting with
 * {@code initial_resource_versions} gets only what really changed.
 */
public record XdsResource(String name, String version, Any body) {

    public XdsResource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(body, "body");
    }

    public static XdsResource of(String name, Message message) {
        byte[] bytes = deterministicBytes(message);
        Any body = Any.newBuilder()
                .setTypeUrl(
                        "type.googleapis.com/" + message.getDescriptorForType().getFullName())
                .setValue(com.google.protobuf.ByteString.copyFrom(bytes))
                .build();
        return new XdsResource(name, hash(bytes), body);
    }

    private static byte[] deterministicBytes(Message message) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(message.getSerializedSize());
        CodedOutputStream output = CodedOutputStream.newInstance(buffer);
        output.useDeterministicSerialization();
        try {
            message.writeTo(output);
            output.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    private static String hash(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}
