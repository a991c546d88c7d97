package io.ambientjava.meshctl.waypoint;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Gateway API {@code Gateway} that makes a waypoint, shaped as {@code istioctl waypoint generate} writes it:
 * class {@code istio-waypoint}, one listener {@code mesh} on 15008 speaking {@code HBONE}, and the
 * {@code istio.io/waypoint-for} label.
 */
public final class WaypointGateway {

    public static final String GATEWAY_CLASS = "istio-waypoint";
    public static final String LISTENER_NAME = "mesh";
    public static final int HBONE_PORT = 15008;
    public static final String HBONE_PROTOCOL = "HBONE";
    public static final String WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";
    public static final String REVISION_LABEL = "istio.io/rev";
    /** Set on a namespace (or service, or pod) to send its traffic through the named waypoint. */
    public static final String USE_WAYPOINT_LABEL = "istio.io/use-waypoint";

    private WaypointGateway() {}

    public static Gateway of(String namespace, String name, TrafficType trafficType, Optional<String> revision) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(WAYPOINT_FOR_LABEL, trafficType.label());
        revision.ifPresent(r -> labels.put(REVISION_LABEL, r));
        return new GatewayBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withGatewayClassName(GATEWAY_CLASS)
                .addNewListener()
                .withName(LISTENER_NAME)
                .withPort(HBONE_PORT)
                .withProtocol(HBONE_PROTOCOL)
                .endListener()
                .endSpec()
                .build();
    }

    /** True for a Gateway of the waypoint class. */
    public static boolean isWaypoint(Gateway gateway) {
        return gateway.getSpec() != null
                && GATEWAY_CLASS.equals(gateway.getSpec().getGatewayClassName());
    }
}
