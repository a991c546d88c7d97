package io.ambientjava.api;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.ambientjava.api.workload.Locality;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds messages with every field set to a non-default value, walking the descriptors so that a field added to a
 * .proto file is populated (and round-trip tested) without touching the tests.
 */
final class SampleMessages {
    private static final int MAX_DEPTH = 8;

    private SampleMessages() {}

    /**
     * A fully populated instance of the prototype's type. For a type with oneofs, {@code variant} picks which member
     * of each oneof is set (modulo its size).
     */
    static Message fullyPopulated(Message prototype, int variant) {
        Message.Builder builder = prototype.newBuilderForType();
        fill(builder, variant, 0);
        return builder.build();
    }

    /** How many instances it takes to set every member of every oneof once. */
    static int variantCount(Descriptor type) {
        return type.getRealOneofs().stream()
                .mapToInt(OneofDescriptor::getFieldCount)
                .max()
                .orElse(1);
    }

    /** Names of the fields that are still unset (for a oneof: the oneof itself), to prove the filler reached them. */
    static List<String> unsetFields(Message message) {
        var unset = new ArrayList<String>();
        for (OneofDescriptor oneof : message.getDescriptorForType().getRealOneofs()) {
            if (!message.hasOneof(oneof)) {
                unset.add(oneof.getName());
            }
        }
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            if (field.getRealContainingOneof() != null) {
                continue;
            }
            boolean set = field.isRepeated() ? message.getRepeatedFieldCount(field) > 0 : message.hasField(field);
            if (!set) {
                unset.add(field.getName());
            }
        }
        return unset;
    }

    private static void fill(Message.Builder builder, int variant, int depth) {
        Descriptor type = builder.getDescriptorForType();
        if (depth > MAX_DEPTH) {
            throw new IllegalStateException("schema nests deeper than " + MAX_DEPTH + " at " + type.getFullName());
        }
        for (FieldDescriptor field : type.getFields()) {
            OneofDescriptor oneof = field.getRealContainingOneof();
            if (oneof != null && oneof.getField(variant % oneof.getFieldCount()) != field) {
                continue;
            }
            if (field.isMapField()) {
                Message.Builder entry = builder.newBuilderForField(field);
                fill(entry, variant, depth + 1);
                builder.addRepeatedField(field, entry.build());
            } else if (field.isRepeated()) {
                builder.addRepeatedField(field, sampleValue(builder, field, variant, depth));
                builder.addRepeatedField(field, sampleValue(builder, field, variant, depth));
            } else {
                builder.setField(field, sampleValue(builder, field, variant, depth));
            }
        }
    }

    private static Object sampleValue(Message.Builder owner, FieldDescriptor field, int variant, int depth) {
        return switch (field.getJavaType()) {
            case INT -> 7;
            case LONG -> 86_400L;
            case FLOAT -> 1.5f;
            case DOUBLE -> 2.5d;
            case BOOLEAN -> true;
            case STRING -> field.getName() + "-value";
            case BYTE_STRING -> ByteString.copyFrom(new byte[] {(byte) 198, 18, 0, 1});
            case ENUM -> highestEnumValue(field);
            case MESSAGE -> sampleMessage(owner, field, variant, depth);
        };
    }

    private static EnumValueDescriptor highestEnumValue(FieldDescriptor field) {
        List<EnumValueDescriptor> values = field.getEnumType().getValues();
        return values.get(values.size() - 1);
    }

    private static Message sampleMessage(Message.Builder owner, FieldDescriptor field, int variant, int depth) {
        return switch (field.getMessageType().getFullName()) {
            case "google.protobuf.Any" ->
                Any.pack(Locality.newBuilder().setRegion("r").build());
            case "google.protobuf.Struct" ->
                Struct.newBuilder()
                        .putFields(
                                "ImpersonatedIdentity",
                                Value.newBuilder()
                                        .setStringValue("spiffe://cluster.local/ns/a/sa/b")
                                        .build())
                        .build();
            case "google.protobuf.UInt32Value" -> UInt32Value.of(3);
            case "google.protobuf.Empty" -> Empty.getDefaultInstance();
            default -> {
                Message.Builder nested = owner.newBuilderForField(field);
                fill(nested, variant, depth + 1);
                yield nested.build();
            }
        };
    }
}
