package io.ambientjava.waypoint.config;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.TreeSet;

/** Refuses any field set on a message that the waypoint does not implement, naming it. */
final class FieldGuard {

    private FieldGuard() {}

    /**
     * Reads which fields are set from the message's own encoding rather than {@link Message#getAllFields()}, and
     * takes the descriptor from {@link ProtoTypes}: both instance methods go through protobuf's reflection tables,
     * which keep a {@code java.lang.reflect.Method} per public method of every checked message type and its builder
     * alive for the process's life (about 15,000 of them, megabytes of heap for what is read once per config). The
     * encoding holds exactly the fields that are set.
     *
     * @param path where {@code message} sits in its resource, for the error message
     * @param supported Envoy field names (snake_case) the caller handles
     */
    static void onlyFields(Message message, String path, Set<String> supported) {
        Descriptor type = ProtoTypes.descriptorOf(message.getClass());
        Set<Integer> unknown = new TreeSet<>();
        CodedInputStream in = message.toByteString().newCodedInput();
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int number = WireFormat.getTagFieldNumber(tag);
                FieldDescriptor field = type.findFieldByNumber(number);
                if (field == null) {
                    unknown.add(number);
                } else if (!supported.contains(field.getName())) {
                    throw new UnsupportedConfigException("unsupported field " + path + "." + field.getName()
                            + " (the waypoint does not implement it)");
                }
                in.skipField(tag);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("re-reading the encoding of " + path, e);
        }
        if (!unknown.isEmpty()) {
            throw new UnsupportedConfigException("unknown field numbers " + unknown + " in " + path);
        }
    }

    static UnsupportedConfigException invalid(String path, String problem) {
        return new UnsupportedConfigException("invalid " + path + ": " + problem);
    }
}
