package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.waypoint.testsupport.Envoy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which listener a connection for an address and port gets: exact, else a pod's chain, else a wildcard. */
class ListenerLookupTest {

    private static final String REVIEWS = "spiffe://cluster.local/ns/default/sa/reviews";

    private static WaypointConfig config(ListenerConfig... listeners) {
        Map<String, ListenerConfig> byName = new HashMap<>();
        for (ListenerConfig l : listeners) {
            byName.put(l.name(), l);
        }
        return new WaypointConfig(byName, Map.of(), Map.of(), Map.of(), "1");
    }

    @Test
    void exactThenPodChainThenWildcardThenNothing() {
        ListenerConfig vip = ListenerTranslator.translate(Envoy.httpListener("198.19.0.10", 80, "reviews"));
        ListenerConfig pods =
                ListenerTranslator.translate(Envoy.workloadListener(Envoy.workloadChain("198.18.0.7", REVIEWS)));
        ListenerConfig wildcard = ListenerTranslator.translate(Envoy.tcpListener("0.0.0.0", 8443, "edge"));
        WaypointConfig config = config(vip, pods, wildcard);

        assertThat(config.listenerFor("198.19.0.10", 80)).contains(vip);
        assertThat(config.listenerFor("198.19.0.10", 81)).isEmpty();
        assertThat(config.listenerFor("198.18.0.7", 8443).orElseThrow().name()).isEqualTo("inbound-pod|198.18.0.7");
        assertThat(config.listenerFor("198.19.0.99", 8443)).contains(wildcard);
        assertThat(config.listenerFor("198.19.0.99", 80)).isEmpty();
    }

    @Test
    void manyServicesAreFoundAsWellAsOne() {
        List<ListenerConfig> listeners = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            listeners.add(ListenerTranslator.translate(
                    Envoy.httpListener("198.19." + (i / 200) + "." + (i % 200 + 1), 9080, "svc-" + i)));
        }
        WaypointConfig config = config(listeners.toArray(ListenerConfig[]::new));
        for (int i = 0; i < 500; i++) {
            assertThat(config.listenerFor("198.19." + (i / 200) + "." + (i % 200 + 1), 9080)
                            .orElseThrow()
                            .name())
                    .isEqualTo("inbound-vip|9080|http|svc-" + i);
        }
    }

    @Test
    void configsWithTheSameContentAreEqual() {
        ListenerConfig vip = ListenerTranslator.translate(Envoy.httpListener("198.19.0.10", 80, "reviews"));
        assertThat(config(vip)).isEqualTo(config(vip)).hasSameHashCodeAs(config(vip));
        assertThat(config(vip)).isNotEqualTo(WaypointConfig.EMPTY);
    }
}
