package io.ambientjava.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.istiod.deploy.WaypointStatus.Verdict;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WaypointStatusTest {

    private static final Instant T1 = Instant.parse("2030-01-01T10:00:00Z");
    private static final Instant T2 = Instant.parse("2030-01-01T11:00:00Z");
    private static final Verdict ACCEPTED = new Verdict("Accepted", true, "Accepted", "Resource accepted");
    private static final Verdict PENDING = new Verdict("Programmed", false, "Pending", "waiting");
    private static final Verdict PENDING_OTHER_TEXT = new Verdict("Programmed", false, "Pending", "still waiting");
    private static final Verdict PROGRAMMED = new Verdict("Programmed", true, "Programmed", "assigned");

    private static Condition condition(GatewayStatus status, String type) {
        return status.getConditions().stream()
                .filter(c -> c.getType().equals(type))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void anUnchangedStatusIsNotWrittenAndKeepsItsTimes() {
        GatewayStatus first = WaypointStatus.next(null, 3, List.of(ACCEPTED, PENDING), List.of(), T1);
        assertThat(WaypointStatus.differs(null, first, List.of(ACCEPTED, PENDING)))
                .isTrue();
        GatewayStatus again = WaypointStatus.next(first, 3, List.of(ACCEPTED, PENDING), List.of(), T2);
        assertThat(WaypointStatus.differs(first, again, List.of(ACCEPTED, PENDING)))
                .isFalse();
        assertThat(condition(again, "Programmed").getLastTransitionTime()).isEqualTo("2030-01-01T10:00:00Z");
        assertThat(condition(again, "Programmed").getObservedGeneration()).isEqualTo(3L);
    }

    @Test
    void theTransitionTimeMovesOnlyWhenTheStatusFlips() {
        GatewayStatus first = WaypointStatus.next(null, 3, List.of(ACCEPTED, PENDING), List.of(), T1);
        GatewayStatus reworded = WaypointStatus.next(first, 3, List.of(ACCEPTED, PENDING_OTHER_TEXT), List.of(), T2);
        assertThat(WaypointStatus.differs(first, reworded, List.of(ACCEPTED, PENDING_OTHER_TEXT)))
                .isTrue();
        assertThat(condition(reworded, "Programmed").getLastTransitionTime()).isEqualTo("2030-01-01T10:00:00Z");

        GatewayStatus newGeneration = WaypointStatus.next(first, 4, List.of(ACCEPTED, PENDING), List.of(), T2);
        assertThat(WaypointStatus.differs(first, newGeneration, List.of(ACCEPTED, PENDING)))
                .isTrue();
        assertThat(condition(newGeneration, "Accepted").getObservedGeneration()).isEqualTo(4L);
        assertThat(condition(newGeneration, "Accepted").getLastTransitionTime()).isEqualTo("2030-01-01T10:00:00Z");

        GatewayStatus flipped = WaypointStatus.next(first, 3, List.of(ACCEPTED, PROGRAMMED), List.of(), T2);
        assertThat(condition(flipped, "Programmed").getLastTransitionTime()).isEqualTo("2030-01-01T11:00:00Z");
        assertThat(condition(flipped, "Programmed").getStatus()).isEqualTo("True");
        assertThat(condition(flipped, "Accepted")).isSameAs(condition(first, "Accepted"));
    }

    @Test
    void conditionsOfOtherTypesAndListenerStatusAreKept() {
        GatewayStatus current = new GatewayStatus();
        current.setConditions(List.of(new ConditionBuilder()
                .withType("example.com/Audited")
                .withStatus("True")
                .withReason("Seen")
                .withMessage("")
                .withLastTransitionTime("2029-12-31T00:00:00Z")
                .build()));
        GatewayStatus next = WaypointStatus.next(current, 1, List.of(ACCEPTED, PENDING), List.of(), T1);
        assertThat(next.getConditions())
                .extracting(Condition::getType)
                .containsExactly("Accepted", "Programmed", "example.com/Audited");
    }

    @Test
    void addressesAreTheClusterIpsThenTheHostname() {
        var service = new ServiceBuilder()
                .withNewMetadata()
                .withName("waypoint")
                .withNamespace("shop")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("198.19.0.20")
                .withClusterIPs("198.19.0.20")
                .endSpec()
                .build();
        assertThat(WaypointStatus.addresses(service, "cluster.local"))
                .extracting(GatewayStatusAddress::getType, GatewayStatusAddress::getValue)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("IPAddress", "198.19.0.20"),
                        org.assertj.core.groups.Tuple.tuple("Hostname", "waypoint.shop.svc.cluster.local"));
        service.getSpec().setClusterIPs(List.of());
        service.getSpec().setClusterIP("None");
        assertThat(WaypointStatus.addresses(service, "cluster.local")).isEmpty();
        GatewayStatus withAddress = WaypointStatus.next(
                null, 1, List.of(ACCEPTED, PENDING), WaypointStatus.addresses(service, "cluster.local"), T1);
        assertThat(withAddress.getAddresses()).isEmpty();
    }
}
