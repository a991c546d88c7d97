package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FieldGuardTest {

    @Test
    void fieldsThatAreSetAndSupportedPass() {
        TokenBucket bucket = TokenBucket.newBuilder()
                .setMaxTokens(10)
                .setTokensPerFill(com.google.protobuf.UInt32Value.of(5))
                .build();

        assertThatCode(() -> FieldGuard.onlyFields(bucket, "b", Set.of("max_tokens", "tokens_per_fill")))
                .doesNotThrowAnyException();
    }

    @Test
    void fieldsAtTheirDefaultAreNotSetAndSoNotRefused() {
        FractionalPercent zero = FractionalPercent.newBuilder().setNumerator(0).build();

        assertThatCode(() -> FieldGuard.onlyFields(zero, "p", Set.of())).doesNotThrowAnyException();
    }

    @Test
    void aSetFieldTheCallerDoesNotHandleIsNamedWithItsPath() {
        TokenBucket bucket = TokenBucket.newBuilder()
                .setMaxTokens(10)
                .setFillInterval(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .build();

        assertThatThrownBy(() -> FieldGuard.onlyFields(bucket, "filter.token_bucket", Set.of("max_tokens")))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessage("unsupported field filter.token_bucket.fill_interval (the waypoint does not implement it)");
    }

    @Test
    void fieldNumbersTheTypeDoesNotKnowAreListed() {
        TokenBucket bucket = TokenBucket.newBuilder()
                .setMaxTokens(3)
                .setUnknownFields(UnknownFieldSet.newBuilder()
                        .addField(
                                99,
                                UnknownFieldSet.Field.newBuilder()
                                        .addLengthDelimited(ByteString.copyFromUtf8("x"))
                                        .build())
                        .addField(
                                42,
                                UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                        .build())
                .build();

        assertThatThrownBy(() -> FieldGuard.onlyFields(bucket, "b", Set.of("max_tokens")))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessage("unknown field numbers [42, 99] in b");
    }
}
