package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a value sits in the document: field names and list indexes, written {@code workloads[1].services["ns/h"]}.
 */
record FieldPath(List<Object> segments) {

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern NUMBER = Pattern.compile("[0-9]+");

    FieldPath {
        segments = List.copyOf(segments);
    }

    static FieldPath root() {
        return new FieldPath(List.of());
    }

    static FieldPath of(List<JsonMappingException.Reference> references) {
        List<Object> segments = new ArrayList<>();
        for (JsonMappingException.Reference ref : references) {
            segments.add(ref.getFieldName() == null ? (Object) ref.getIndex() : ref.getFieldName());
        }
        return new FieldPath(segments);
    }

    FieldPath field(String name) {
        List<Object> next = new ArrayList<>(segments);
        next.add(name);
        return new FieldPath(next);
    }

    FieldPath index(int index) {
        List<Object> next = new ArrayList<>(segments);
        next.add(index);
        return new FieldPath(next);
    }

    boolean isRoot() {
        return segments.isEmpty();
    }

    /** The same place as a JSON pointer, to find it again in the token stream. */
    JsonPointer pointer() {
        JsonPointer pointer = JsonPointer.empty();
        for (Object segment : segments) {
            pointer = segment instanceof Integer i ? pointer.appendIndex(i) : pointer.appendProperty((String) segment);
        }
        return pointer;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Object segment : segments) {
            if (segment instanceof Integer i) {
                sb.append('[').append(i).append(']');
            } else {
                String name = (String) segment;
                if (IDENTIFIER.matcher(name).matches()) {
                    if (!sb.isEmpty()) {
                        sb.append('.');
                    }
                    sb.append(name);
                } else if (NUMBER.matcher(name).matches()) {
                    sb.append('[').append(name).append(']');
                } else {
                    sb.append("[\"").append(name).append("\"]");
                }
            }
        }
        return sb.toString();
    }
}
