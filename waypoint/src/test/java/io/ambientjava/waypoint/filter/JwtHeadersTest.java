package io.ambientjava.waypoint.filter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JwtHeadersTest {

    @Test
    void spaceDelimitedClaimsBecomeListsOfTheirWordsAndOtherClaimsStay() {
        Map<String, Object> payload = Map.of("scope", "openid  read write", "sub", "user-1", "groups", List.of("a"));
        var normalized = JwtHeaders.normalized(payload, List.of("scope", "groups", "absent"));
        assertThat(normalized.get("scope")).isEqualTo(List.of("openid", "read", "write"));
        assertThat(normalized.get("groups")).as("already a list: kept").isEqualTo(List.of("a"));
        assertThat(normalized.get("sub")).isEqualTo("user-1");
        assertThat(normalized).doesNotContainKey("absent");
        assertThat(payload.get("scope"))
                .as("the verified payload itself is untouched")
                .isEqualTo("openid  read write");
    }

    @Test
    void withoutSpaceDelimitedClaimsThePayloadIsUsedAsItIs() {
        Map<String, Object> payload = Map.of("scope", "read write");
        assertThat(JwtHeaders.normalized(payload, List.of())).isSameAs(payload);
    }
}
