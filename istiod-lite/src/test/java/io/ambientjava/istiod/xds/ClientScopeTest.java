package io.ambientjava.istiod.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.istiod.translate.envoy.ProxyId;
import io.envoyproxy.envoy.config.core.v3.Node;
import org.junit.jupiter.api.Test;

class ClientScopeTest {

    private static Node node(String id, String... metadata) {
        Struct.Builder struct = Struct.newBuilder();
        for (int i = 0; i < metadata.length; i += 2) {
            struct.putFields(
                    metadata[i],
                    Value.newBuilder().setStringValue(metadata[i + 1]).build());
        }
        return Node.newBuilder().setId(id).setMetadata(struct).build();
    }

    @Test
    void waypointByNameAndNamespaceOrQualified() {
        assertThat(ClientScope.of(node("waypoint~1", "WAYPOINT", "wp", "NAMESPACE", "shop"))
                        .proxy())
                .contains(ProxyId.waypoint("shop", "wp"));
        assertThat(ClientScope.of(node("waypoint~1", "WAYPOINT", "other/wp", "NAMESPACE", "shop"))
                        .proxy())
                .contains(ProxyId.waypoint("other", "wp"));
    }

    @Test
    void gatewayQualified() {
        assertThat(ClientScope.of(node("router~1", "GATEWAY", "default/bookinfo-gateway"))
                        .proxy())
                .contains(ProxyId.gateway("default", "bookinfo-gateway"));
    }

    @Test
    void anythingElseIsAZtunnel() {
        assertThat(ClientScope.of(node("ztunnel~198.18.0.2~z.istio-system", "NAMESPACE", "istio-system")))
                .isEqualTo(ClientScope.ZTUNNEL);
    }

    @Test
    void missingOrMalformedMetadataIsNamed() {
        assertThatThrownBy(() -> ClientScope.of(node("router~1"))).hasMessageContaining("GATEWAY");
        assertThatThrownBy(() -> ClientScope.of(node("waypoint~1", "WAYPOINT", "wp")))
                .hasMessageContaining("WAYPOINT 'wp'")
                .hasMessageContaining("NAMESPACE");
        assertThatThrownBy(() -> ClientScope.of(node("waypoint~1", "WAYPOINT", "a/b/c")))
                .hasMessageContaining("<namespace>/<name>");
    }
}
