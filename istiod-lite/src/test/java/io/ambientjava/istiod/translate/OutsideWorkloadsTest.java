package io.ambientjava.istiod.translate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutsideWorkloadsTest {

    @ParameterizedTest
    @ValueSource(strings = {"api.external.test", "api.external.test.", "a", "x-1.y-2.test", "API.External.Test"})
    void dnsNamesAreAccepted(String name) {
        assertThat(OutsideWorkloads.isDnsName(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"", ".", "*.external.test", "api..external.test", "under_score.test", "api.external.test.."})
    void otherTextIsNotADnsName(String name) {
        assertThat(OutsideWorkloads.isDnsName(name)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void aLabelOver63CharactersOrANameOver253IsNotADnsName() {
        assertThat(OutsideWorkloads.isDnsName("a".repeat(64) + ".test")).isFalse();
        assertThat(OutsideWorkloads.isDnsName("a".repeat(63) + ".test")).isTrue();
        String long254 = ("a".repeat(62) + ".").repeat(4) + "ab";
        assertThat(long254).hasSize(254);
        assertThat(OutsideWorkloads.isDnsName(long254)).isFalse();
    }
}
