package io.ambientjava.waypoint.config;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.Set;

/** Refuses any field set on a message that the waypoint does not implement, naming it. */
final class FieldGuard {

    private FieldGuard() {}

    /**
     * @param path where {@code message} sits in its resource, for the error message
     * @param supported Envoy field names (snake_case) the caller handles
     */
    static void onlyFields(Message message, String path, Set<String> supported) {
        for (FieldDescriptor field : message.getAllFields().keySet()) {
            if (!supported.contains(field.getName())) {
                throw new UnsupportedConfigException(
                        "unsupported field " + path + "." + field.getName() + " (the waypoint does not implement it)");
            }
        }
        if (!message.getUnknownFields().asMap().isEmpty()) {
            throw new UnsupportedConfigException("unknown field numbers "
                    + message.getUnknownFields().asMap().keySet() + " in " + path);
        }
    }

    static UnsupportedConfigException invalid(String path, String problem) {
        return new UnsupportedConfigException("invalid " + path + ": " + problem);
    }
}
