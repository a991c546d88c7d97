package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The service a waypoint listener's name carries: {@code inbound-vip|<port>|<protocol>|<host>}. */
class ListenerServiceTest {

    @Test
    void aWaypointListenerNamesItsServiceLast() {
        assertThat(RequestFlow.serviceOf("inbound-vip|9080|http|reviews.default.svc.cluster.local"))
                .contains("reviews.default.svc.cluster.local");
    }

    @Test
    void anIngressListenerNamesNoService() {
        assertThat(RequestFlow.serviceOf("0.0.0.0_8080")).isEmpty();
    }

    @Test
    void anythingButFourPartsWithAHostIsNoService() {
        assertThat(RequestFlow.serviceOf("inbound-vip|9080|http|")).isEmpty();
        assertThat(RequestFlow.serviceOf("inbound-vip|9080|http")).isEmpty();
        assertThat(RequestFlow.serviceOf("inbound-vip|9080|http|a|b")).isEmpty();
        assertThat(RequestFlow.serviceOf("")).isEmpty();
    }
}
