package io.ambientjava.waypoint.admin;

import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.upstream.ClusterManager;
import java.util.TreeMap;

/** {@code /config_dump}: what the waypoint runs with now, as JSON (names, addresses, endpoint counts, limits). */
public final class ConfigDump {

    private ConfigDump() {}

    public static String json(WaypointConfig config, ClusterManager clusters, long acks, long nacks, String lastNack) {
        StringBuilder out = new StringBuilder("{\n  \"version\": ").append(quote(config.version()));
        out.append(",\n  \"ads\": {\"acks\": ")
                .append(acks)
                .append(", \"nacks\": ")
                .append(nacks)
                .append(", \"last_nack\": ")
                .append(quote(lastNack))
                .append("},\n  \"listeners\": [");
        String sep = "";
        for (ListenerConfig l : new TreeMap<>(config.listeners()).values()) {
            String kind = switch (l.kind()) {
                case ListenerConfig.Http h -> "\"http\", \"route_config\": " + quote(h.routeConfigName());
                case ListenerConfig.TlsPassthrough p ->
                    "\"tls_passthrough\", \"server_names\": ["
                            + String.join(
                                    ", ",
                                    p.named().stream()
                                            .flatMap(n -> n.serverNames().stream())
                                            .map(ConfigDump::quote)
                                            .toList())
                            + "], \"default_chain\": " + p.fallback().isPresent();
                case ListenerConfig.Workloads w ->
                    "\"workloads\", \"addresses\": ["
                            + String.join(
                                    ", ",
                                    new java.util.TreeSet<>(w.byAddress().keySet())
                                            .stream().map(ConfigDump::quote).toList())
                            + "]";
                case ListenerConfig.Tcp t ->
                    (t.clusters().size() == 1
                                    ? "\"tcp\", \"cluster\": "
                                            + quote(t.clusters().getFirst().cluster())
                                    : "\"tcp\", \"weighted_clusters\": ["
                                            + String.join(
                                                    ", ",
                                                    t.clusters().stream()
                                                            .map(c -> "{\"name\": " + quote(c.cluster())
                                                                    + ", \"weight\": " + c.weight() + "}")
                                                            .toList())
                                            + "]")
                            + ", \"idle_timeout\": "
                            + quote(t.idleTimeout().map(ConfigDump::seconds).orElse("0s"))
                            + t.maxConnectionDuration()
                                    .map(d -> ", \"max_downstream_connection_duration\": " + quote(seconds(d)))
                                    .orElse("");
            };
            out.append(sep)
                    .append("\n    {\"name\": ")
                    .append(quote(l.name()))
                    .append(", \"address\": ")
                    .append(quote(l.address() + ":" + l.port()))
                    .append(", \"kind\": ")
                    .append(kind)
                    .append('}');
            sep = ",";
        }
        out.append("\n  ],\n  \"routes\": [");
        sep = "";
        for (var r : new TreeMap<>(config.routes()).values()) {
            int count =
                    r.virtualHosts().stream().mapToInt(v -> v.routes().size()).sum();
            out.append(sep)
                    .append("\n    {\"name\": ")
                    .append(quote(r.name()))
                    .append(", \"routes\": ")
                    .append(count)
                    .append('}');
            sep = ",";
        }
        out.append("\n  ],\n  \"clusters\": [");
        sep = "";
        for (var c : new TreeMap<>(config.clusters()).values()) {
            var runtime = clusters.get(c.name());
            out.append(sep)
                    .append("\n    {\"name\": ")
                    .append(quote(c.name()))
                    .append(", \"lb_policy\": ")
                    .append(quote(c.lbPolicy().name()))
                    .append(", \"endpoints\": ")
                    .append(config.endpointsOf(c.name()).size());
            runtime.ifPresent(rt -> out.append(", \"active_requests\": ")
                    .append(rt.limits().activeRequests())
                    .append(", \"open_connections\": ")
                    .append(rt.limits().openConnections())
                    .append(", \"overflows\": ")
                    .append(rt.limits().overflows()));
            out.append('}');
            sep = ",";
        }
        return out.append("\n  ]\n}\n").toString();
    }

    /** A duration as protobuf's JSON writes one: seconds with up to nine decimals, then "s". */
    static String seconds(java.time.Duration d) {
        return new java.math.BigDecimal(d.getSeconds())
                        .add(java.math.BigDecimal.valueOf(d.getNano(), 9))
                        .stripTrailingZeros()
                        .toPlainString()
                + "s";
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
