package io.ambientjava.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.ambientjava.api.ca.CaProto;
import io.ambientjava.api.security.AuthorizationProto;
import io.ambientjava.api.workload.Service;
import io.ambientjava.api.workload.WorkloadProto;
import io.ambientjava.api.zds.ZdsProto;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RoundTripTest {

    static Stream<Arguments> everyMessageAndOneofVariant() {
        return ApiMessages.all().stream()
                .flatMap(prototype -> IntStream.range(0, SampleMessages.variantCount(prototype.getDescriptorForType()))
                        .mapToObj(variant -> Arguments.of(
                                prototype.getDescriptorForType().getFullName() + " #" + variant, prototype, variant)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyMessageAndOneofVariant")
    void fullyPopulatedMessageSurvivesSerializeAndParse(String name, Message prototype, int variant)
            throws InvalidProtocolBufferException {
        Message original = SampleMessages.fullyPopulated(prototype, variant);
        assertThat(SampleMessages.unsetFields(original))
                .as("fields of %s the sample left unset", name)
                .isEmpty();

        byte[] wire = original.toByteArray();
        Message parsed = prototype.getParserForType().parseFrom(wire);

        assertThat(parsed).isEqualTo(original);
        assertThat(parsed.getUnknownFields().asMap()).isEmpty();
        assertThat(parsed.toByteArray()).isEqualTo(wire);
    }

    @Test
    void fieldsNewerThanOurSchemaArePassedThroughUnchanged() throws InvalidProtocolBufferException {
        byte[] fromNewerIstiod = Wire.bytes(
                Wire.bytes(0x0A, 0x01, 'a'), // Service.name
                Wire.bytes(0xF8, 0x07, 0x01) // field 127, varint 1: 127<<3|0 = 1016 -> F8 07, unknown to us
                );

        Service parsed = Service.parseFrom(fromNewerIstiod);

        assertThat(parsed.getName()).isEqualTo("a");
        assertThat(parsed.getUnknownFields().hasField(127)).isTrue();
        assertThat(parsed.toByteArray()).isEqualTo(fromNewerIstiod);
    }

    @Test
    void everyMessageTypeInTheSchemasIsCoveredByTheRoundTrip() {
        List<String> declared = new ArrayList<>();
        for (FileDescriptor file : List.of(
                WorkloadProto.getDescriptor(),
                AuthorizationProto.getDescriptor(),
                ZdsProto.getDescriptor(),
                CaProto.getDescriptor())) {
            file.getMessageTypes().forEach(type -> collect(type, declared));
        }
        List<String> tested = ApiMessages.all().stream()
                .map(m -> m.getDescriptorForType().getFullName())
                .toList();

        assertThat(tested).containsExactlyInAnyOrderElementsOf(declared);
    }

    private static void collect(Descriptor type, List<String> into) {
        if (type.getOptions().getMapEntry()) {
            return; // covered through its map field
        }
        into.add(type.getFullName());
        type.getNestedTypes().forEach(nested -> collect(nested, into));
    }
}
