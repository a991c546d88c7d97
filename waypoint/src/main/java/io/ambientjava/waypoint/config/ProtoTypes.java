package io.ambientjava.waypoint.config;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * A generated message class's descriptor and parser, reached through its static {@code getDescriptor()} and
 * {@code parser()}.
 *
 * <p>The instance method {@code getDescriptorForType()} and {@code Any.is}/{@code Any.unpack} would do, but the first
 * builds protobuf's reflection table for the type (a {@code java.lang.reflect.Method} for every public method of the
 * message and its builder, kept for the process's life: about 15,000 of them for the Envoy types a waypoint reads)
 * and the others look up {@code getDefaultInstance} with {@code Class.getMethod}, which materialises all of the
 * class's public methods too. A method handle is resolved by the VM without either.
 */
public final class ProtoTypes {

    private record Statics(Descriptor descriptor, Parser<?> parser) {}

    private static final ClassValue<Statics> STATICS = new ClassValue<>() {
        @Override
        protected Statics computeValue(Class<?> type) {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            try {
                MethodHandle descriptor =
                        lookup.findStatic(type, "getDescriptor", MethodType.methodType(Descriptor.class));
                MethodHandle parser = lookup.findStatic(type, "parser", MethodType.methodType(Parser.class));
                return new Statics((Descriptor) descriptor.invoke(), (Parser<?>) parser.invoke());
            } catch (Throwable e) {
                throw new IllegalArgumentException(type.getName() + " is not a generated protobuf message class", e);
            }
        }
    };

    private ProtoTypes() {}

    /** The descriptor of a generated message class. */
    public static Descriptor descriptorOf(Class<? extends Message> type) {
        return STATICS.get(type).descriptor();
    }

    /** Whether {@code any} holds a {@code type}, judged by the full name at the end of its type URL. */
    public static boolean holds(Any any, Class<? extends Message> type) {
        String url = any.getTypeUrl();
        String fullName = descriptorOf(type).getFullName();
        int slash = url.lastIndexOf('/');
        return url.length() - slash - 1 == fullName.length() && url.endsWith(fullName);
    }

    /**
     * The {@code type} inside {@code any}.
     *
     * @throws InvalidProtocolBufferException when {@code any} holds another type or its bytes do not decode
     */
    public static <T extends Message> T unpack(Any any, Class<T> type) throws InvalidProtocolBufferException {
        if (!holds(any, type)) {
            throw new InvalidProtocolBufferException("type URL " + any.getTypeUrl() + " does not name "
                    + descriptorOf(type).getFullName());
        }
        return type.cast(STATICS.get(type).parser().parseFrom(any.getValue()));
    }
}
