package io.ambientjava.meshctl.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an Envoy admin {@code /config_dump} (as the waypoint serves it): the listener, cluster and route sections,
 * static and dynamic, whether fields are written in proto names ({@code dynamic_listeners}, Envoy's own) or in
 * proto3 JSON's camelCase ({@code dynamicListeners}).
 */
public final class EnvoyConfigDump {

    static final String LISTENERS = "type.googleapis.com/envoy.admin.v3.ListenersConfigDump";
    static final String CLUSTERS = "type.googleapis.com/envoy.admin.v3.ClustersConfigDump";
    static final String ROUTES = "type.googleapis.com/envoy.admin.v3.RoutesConfigDump";

    private final JsonNode root;

    public EnvoyConfigDump(JsonNode root) {
        this.root = root;
    }

    /** Every {@code Listener} (active state of dynamic ones). */
    public List<JsonNode> listeners() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode section : sections(LISTENERS)) {
            for (JsonNode s : field(section, "static_listeners")) {
                add(out, field(s, "listener"));
            }
            for (JsonNode d : field(section, "dynamic_listeners")) {
                add(out, field(field(d, "active_state"), "listener"));
            }
        }
        return out;
    }

    /** Every {@code Cluster}. */
    public List<JsonNode> clusters() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode section : sections(CLUSTERS)) {
            for (JsonNode s : field(section, "static_clusters")) {
                add(out, field(s, "cluster"));
            }
            for (JsonNode d : field(section, "dynamic_active_clusters")) {
                add(out, field(d, "cluster"));
            }
        }
        return out;
    }

    /** Every {@code RouteConfiguration}. */
    public List<JsonNode> routeConfigs() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode section : sections(ROUTES)) {
            for (JsonNode s : field(section, "static_route_configs")) {
                add(out, field(s, "route_config"));
            }
            for (JsonNode d : field(section, "dynamic_route_configs")) {
                add(out, field(d, "route_config"));
            }
        }
        return out;
    }

    /** True when the document has Envoy's {@code configs} list. */
    public boolean isEnvoyDump() {
        return root.path("configs").isArray();
    }

    private List<JsonNode> sections(String type) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode config : root.path("configs")) {
            if (type.equals(config.path("@type").asText())) {
                out.add(config);
            }
        }
        return out;
    }

    private static void add(List<JsonNode> out, JsonNode node) {
        if (!node.isMissingNode() && !node.isNull()) {
            out.add(node);
        }
    }

    /** A field by its proto name, or by the camelCase name proto3 JSON uses. */
    static JsonNode field(JsonNode node, String protoName) {
        JsonNode value = node.get(protoName);
        if (value == null) {
            value = node.get(camel(protoName));
        }
        return value == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : value;
    }

    static String camel(String protoName) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : protoName.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }
}
