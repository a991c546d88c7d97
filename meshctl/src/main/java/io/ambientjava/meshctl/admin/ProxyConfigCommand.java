package io.ambientjava.meshctl.admin;

import static io.ambientjava.meshctl.admin.EnvoyConfigDump.field;

import com.fasterxml.jackson.databind.JsonNode;
import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import io.ambientjava.meshctl.output.OutputFormat;
import io.ambientjava.meshctl.output.Table;
import io.ambientjava.meshctl.output.YamlOutput;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshctl proxy-config listeners|routes|clusters}: a waypoint's Envoy configuration, from its admin dump. */
@Command(
        name = "proxy-config",
        mixinStandardHelpOptions = true,
        description = "Shows a waypoint's Envoy configuration, read from its admin endpoint (/config_dump).",
        subcommands = {
            ProxyConfigCommand.Listeners.class,
            ProxyConfigCommand.Routes.class,
            ProxyConfigCommand.Clusters.class
        })
public final class ProxyConfigCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    abstract static class Section implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        AdminOptions admin;

        @Option(
                names = {"-o", "--output"},
                defaultValue = "table",
                description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
        OutputFormat output;

        @Option(names = "--name", paramLabel = "NAME", description = "Only the resource of this name.")
        String name;

        abstract List<JsonNode> select(EnvoyConfigDump dump);

        abstract Table table(List<JsonNode> resources);

        @Override
        public Integer call() {
            JsonNode root;
            try (AdminOptions.Endpoint endpoint = admin.open()) {
                root = endpoint.getJson("/config_dump");
            }
            EnvoyConfigDump dump = new EnvoyConfigDump(root);
            if (!dump.isEnvoyDump()) {
                throw new MeshctlException("/config_dump has no Envoy 'configs' list; is this a waypoint's admin"
                        + " endpoint? (use ztunnel-config for ztunnel)");
            }
            List<JsonNode> resources = new ArrayList<>();
            for (JsonNode resource : select(dump)) {
                if (name == null || name.equals(resource.path("name").asText())) {
                    resources.add(resource);
                }
            }
            var out = spec.commandLine().getOut();
            switch (output) {
                case JSON -> out.print(YamlOutput.json(YamlOutput.arrayOf(resources)));
                case YAML -> out.print(YamlOutput.yaml(YamlOutput.arrayOf(resources)));
                case TABLE -> out.print(table(resources).render());
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "listeners", mixinStandardHelpOptions = true, description = "The waypoint's listeners.")
    static final class Listeners extends Section {
        @Override
        List<JsonNode> select(EnvoyConfigDump dump) {
            return dump.listeners();
        }

        @Override
        Table table(List<JsonNode> listeners) {
            Table table = new Table("NAME", "ADDRESS", "PORT", "DESTINATION");
            for (JsonNode l : listeners) {
                JsonNode socket = field(field(l, "address"), "socket_address");
                table.row(
                        l.path("name").asText(),
                        socket.path("address").asText(),
                        field(socket, "port_value").asText(),
                        destinations(l));
            }
            return table;
        }

        /** Where each filter chain sends traffic: {@code Route: <rds name>} or {@code Cluster: <name>}. */
        private static String destinations(JsonNode listener) {
            List<String> out = new ArrayList<>();
            for (JsonNode chain : field(listener, "filter_chains")) {
                for (JsonNode filter : chain.path("filters")) {
                    JsonNode config = field(filter, "typed_config");
                    String routeName =
                            field(field(config, "rds"), "route_config_name").asText("");
                    String inlineRoute =
                            field(config, "route_config").path("name").asText("");
                    String cluster = config.path("cluster").asText("");
                    if (!routeName.isEmpty()) {
                        out.add("Route: " + routeName);
                    } else if (!inlineRoute.isEmpty()) {
                        out.add("Inline Route: " + inlineRoute);
                    } else if (!cluster.isEmpty()) {
                        out.add("Cluster: " + cluster);
                    }
                }
            }
            return String.join(", ", out);
        }
    }

    @Command(name = "routes", mixinStandardHelpOptions = true, description = "The waypoint's HTTP routes.")
    static final class Routes extends Section {
        @Override
        List<JsonNode> select(EnvoyConfigDump dump) {
            return dump.routeConfigs();
        }

        @Override
        Table table(List<JsonNode> configs) {
            Table table = new Table("NAME", "VIRTUAL HOST", "DOMAINS", "MATCH", "DESTINATION");
            for (JsonNode config : configs) {
                for (JsonNode host : field(config, "virtual_hosts")) {
                    List<String> domains = new ArrayList<>();
                    host.path("domains").forEach(d -> domains.add(d.asText()));
                    for (JsonNode route : host.path("routes")) {
                        table.row(
                                config.path("name").asText(),
                                host.path("name").asText(),
                                String.join(",", domains),
                                match(route.path("match")),
                                destination(route));
                    }
                }
            }
            return table;
        }

        private static String match(JsonNode match) {
            if (match.has("prefix")) {
                return match.path("prefix").asText() + "*";
            }
            if (match.has("path")) {
                return match.path("path").asText();
            }
            JsonNode regex = field(match, "safe_regex");
            if (!regex.isMissingNode()) {
                return "regex " + regex.path("regex").asText();
            }
            return "";
        }

        private static String destination(JsonNode route) {
            JsonNode action = route.path("route");
            if (!action.isMissingNode()) {
                if (action.has("cluster")) {
                    return action.path("cluster").asText();
                }
                JsonNode weighted = field(action, "weighted_clusters");
                if (!weighted.isMissingNode()) {
                    List<String> parts = new ArrayList<>();
                    for (JsonNode c : weighted.path("clusters")) {
                        parts.add(
                                c.path("name").asText() + " " + c.path("weight").asText() + "%");
                    }
                    return String.join(", ", parts);
                }
            }
            if (route.has("redirect")) {
                return "redirect";
            }
            JsonNode direct = field(route, "direct_response");
            if (!direct.isMissingNode()) {
                return "direct response " + direct.path("status").asText();
            }
            return "";
        }
    }

    @Command(name = "clusters", mixinStandardHelpOptions = true, description = "The waypoint's upstream clusters.")
    static final class Clusters extends Section {
        @Override
        List<JsonNode> select(EnvoyConfigDump dump) {
            return dump.clusters();
        }

        @Override
        Table table(List<JsonNode> clusters) {
            Table table = new Table("SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "LB POLICY");
            for (JsonNode c : clusters) {
                String name = c.path("name").asText();
                String[] parts = name.split("\\|", -1);
                String type = c.path("type").asText("");
                if (type.isEmpty() && !field(c, "eds_cluster_config").isMissingNode()) {
                    type = "EDS";
                }
                String lb = field(c, "lb_policy").asText("ROUND_ROBIN");
                if (parts.length == 4) {
                    table.row(parts[3], parts[1], parts[2], parts[0], type, lb);
                } else {
                    table.row(name, "", "", "", type, lb);
                }
            }
            return table;
        }
    }
}
