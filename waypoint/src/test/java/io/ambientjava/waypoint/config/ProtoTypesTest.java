package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import org.junit.jupiter.api.Test;

class ProtoTypesTest {

    private static final RouteMatch MATCH =
            RouteMatch.newBuilder().setPrefix("/reviews").build();

    @Test
    void theDescriptorIsTheGeneratedClassOwn() {
        assertThat(ProtoTypes.descriptorOf(RouteMatch.class)).isSameAs(RouteMatch.getDescriptor());
    }

    @Test
    void anAnyPackedByProtobufUnpacksToAnEqualMessage() throws Exception {
        Any any = Any.pack(MATCH);

        assertThat(ProtoTypes.holds(any, RouteMatch.class)).isTrue();
        assertThat(ProtoTypes.unpack(any, RouteMatch.class)).isEqualTo(MATCH);
    }

    @Test
    void theTypeUrlPrefixDoesNotMatterOnlyTheFullNameAfterTheLastSlash() throws Exception {
        Any any = Any.newBuilder()
                .setTypeUrl("example.test/types/envoy.config.route.v3.RouteMatch")
                .setValue(MATCH.toByteString())
                .build();

        assertThat(ProtoTypes.unpack(any, RouteMatch.class)).isEqualTo(MATCH);
    }

    @Test
    void aNameThatOnlyEndsLikeTheTypeIsAnotherType() {
        Any any = Any.newBuilder()
                .setTypeUrl("type.googleapis.com/xenvoy.config.route.v3.RouteMatch")
                .setValue(MATCH.toByteString())
                .build();

        assertThat(ProtoTypes.holds(any, RouteMatch.class)).isFalse();
        assertThat(ProtoTypes.holds(Any.newBuilder().setTypeUrl("RouteMatch").build(), RouteMatch.class))
                .isFalse();
    }

    @Test
    void anotherTypeIsRefusedNamingBoth() {
        Any any = Any.pack(MATCH);

        assertThat(ProtoTypes.holds(any, HTTPFault.class)).isFalse();
        assertThatThrownBy(() -> ProtoTypes.unpack(any, HTTPFault.class))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("envoy.config.route.v3.RouteMatch")
                .hasMessageContaining("envoy.extensions.filters.http.fault.v3.HTTPFault");
    }

    @Test
    void bytesThatDoNotDecodeAreRefused() {
        Any any = Any.newBuilder()
                .setTypeUrl("type.googleapis.com/envoy.config.route.v3.RouteMatch")
                .setValue(ByteString.copyFrom(new byte[] {0x0a, 0x7f, 0x01}))
                .build();

        assertThatThrownBy(() -> ProtoTypes.unpack(any, RouteMatch.class))
                .isInstanceOf(InvalidProtocolBufferException.class);
    }

    @Test
    void aClassThatIsNotAGeneratedMessageIsNamed() {
        assertThatThrownBy(() -> ProtoTypes.descriptorOf(Message.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("com.google.protobuf.Message");
    }
}
