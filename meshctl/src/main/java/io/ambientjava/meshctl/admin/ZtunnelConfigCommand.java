package io.ambientjava.meshctl.admin;

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

/** {@code meshctl ztunnel-config workloads|services|policies|certificates|connections|all}. */
@Command(
        name = "ztunnel-config",
        mixinStandardHelpOptions = true,
        description = "Shows what a ztunnel knows, read from its admin endpoint (/config_dump, /certs).",
        subcommands = {
            ZtunnelConfigCommand.Workloads.class,
            ZtunnelConfigCommand.Services.class,
            ZtunnelConfigCommand.Policies.class,
            ZtunnelConfigCommand.Certificates.class,
            ZtunnelConfigCommand.Connections.class,
            ZtunnelConfigCommand.All.class
        })
public final class ZtunnelConfigCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The part every subcommand shares: where to read, how to print, which section of the dump. */
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

        @Option(names = "--workload-namespace", paramLabel = "NS", description = "Only entries of this namespace.")
        String workloadNamespace;

        abstract String path();

        abstract String field();

        abstract Table table(List<JsonNode> entries);

        @Override
        public Integer call() {
            JsonNode dump;
            try (AdminOptions.Endpoint endpoint = admin.open()) {
                dump = endpoint.getJson(path());
            }
            JsonNode section = dump.get(field());
            if (section == null || !section.isArray()) {
                throw new MeshctlException(
                        path() + " has no '" + field() + "' list; is this a ztunnel admin endpoint?");
            }
            List<JsonNode> entries = new ArrayList<>();
            for (JsonNode entry : section) {
                if (workloadNamespace == null || workloadNamespace.equals(text(entry, "namespace"))) {
                    entries.add(entry);
                }
            }
            var out = spec.commandLine().getOut();
            switch (output) {
                case JSON -> out.print(YamlOutput.json(YamlOutput.arrayOf(entries)));
                case YAML -> out.print(YamlOutput.yaml(YamlOutput.arrayOf(entries)));
                case TABLE -> out.print(table(entries).render());
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? "" : value.asText();
    }

    static String first(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray() || value.isEmpty()) {
            return "";
        }
        List<String> all = new ArrayList<>();
        value.forEach(v -> all.add(v.asText()));
        return String.join(",", all);
    }

    /** A leaf certificate's field: on the entry (ztunnel-java) or on the first chain element (upstream ztunnel). */
    static String leafField(JsonNode certificate, String field) {
        String value = text(certificate, field);
        return value.isEmpty() ? text(certificate.path("certChain").path(0), field) : value;
    }

    static String gateway(JsonNode node) {
        JsonNode gateway = node.get("waypoint");
        if (gateway == null || gateway.isNull()) {
            return "None";
        }
        // ztunnel-java writes hostname or address; upstream ztunnel writes destination.
        String where = gateway.has("hostname")
                ? text(gateway, "hostname")
                : gateway.has("address") ? text(gateway, "address") : text(gateway, "destination");
        return where.isEmpty() ? "None" : where;
    }

    @Command(name = "workloads", mixinStandardHelpOptions = true, description = "Workloads ztunnel knows.")
    static final class Workloads extends Section {
        @Override
        String path() {
            return "/config_dump";
        }

        @Override
        String field() {
            return "workloads";
        }

        @Override
        Table table(List<JsonNode> entries) {
            Table table = new Table("NAMESPACE", "POD NAME", "ADDRESS", "NODE", "WAYPOINT", "PROTOCOL");
            entries.forEach(w -> table.row(
                    text(w, "namespace"),
                    text(w, "name"),
                    first(w, "workloadIps"),
                    text(w, "node"),
                    gateway(w),
                    text(w, "protocol")));
            return table;
        }
    }

    @Command(name = "services", mixinStandardHelpOptions = true, description = "Services ztunnel knows.")
    static final class Services extends Section {
        @Override
        String path() {
            return "/config_dump";
        }

        @Override
        String field() {
            return "services";
        }

        @Override
        Table table(List<JsonNode> entries) {
            Table table = new Table("NAMESPACE", "SERVICE NAME", "SERVICE VIP", "WAYPOINT", "ENDPOINTS");
            for (JsonNode s : entries) {
                JsonNode endpoints = s.path("endpoints");
                long healthy = 0;
                for (JsonNode e : endpoints) {
                    if ("HEALTHY".equals(text(e, "status"))) {
                        healthy++;
                    }
                }
                table.row(
                        text(s, "namespace"),
                        text(s, "name"),
                        first(s, "vips"),
                        gateway(s),
                        healthy + "/" + endpoints.size());
            }
            return table;
        }
    }

    @Command(name = "policies", mixinStandardHelpOptions = true, description = "Authorization policies ztunnel knows.")
    static final class Policies extends Section {
        @Override
        String path() {
            return "/config_dump";
        }

        @Override
        String field() {
            return "policies";
        }

        @Override
        Table table(List<JsonNode> entries) {
            Table table = new Table("NAMESPACE", "POLICY NAME", "ACTION", "SCOPE", "RULES");
            entries.forEach(p -> table.row(
                    text(p, "namespace"),
                    text(p, "name"),
                    text(p, "action"),
                    text(p, "scope"),
                    p.path("rules").size()));
            return table;
        }
    }

    @Command(
            name = "certificates",
            aliases = "certs",
            mixinStandardHelpOptions = true,
            description = "Workload certificates ztunnel holds (identity, state, validity; never keys).")
    static final class Certificates extends Section {
        @Override
        String path() {
            return "/certs";
        }

        @Override
        String field() {
            return "certificates";
        }

        @Override
        Table table(List<JsonNode> entries) {
            Table table = new Table("IDENTITY", "STATE", "SERIAL NUMBER", "NOT BEFORE", "NOT AFTER", "CHAIN");
            entries.forEach(c -> table.row(
                    text(c, "identity"),
                    text(c, "state") + (c.has("error") ? " (" + text(c, "error") + ")" : ""),
                    leafField(c, "serialNumber"),
                    leafField(c, "validFrom"),
                    leafField(c, "expirationTime"),
                    c.path("certChain").size()));
            return table;
        }
    }

    @Command(name = "connections", mixinStandardHelpOptions = true, description = "Connections open through ztunnel.")
    static final class Connections extends Section {
        @Override
        String path() {
            return "/config_dump";
        }

        @Override
        String field() {
            return "connections";
        }

        @Override
        Table table(List<JsonNode> entries) {
            Table table = new Table(
                    "POD", "REPORTER", "SOURCE", "DESTINATION", "DESTINATION IDENTITY", "POLICY", "SENT", "RECEIVED");
            entries.forEach(c -> table.row(
                    text(c, "pod"),
                    text(c, "reporter"),
                    text(c, "source"),
                    text(c, "destination"),
                    text(c, "destinationIdentity"),
                    text(c, "securityPolicy"),
                    text(c, "sentBytes"),
                    text(c, "receivedBytes")));
            return table;
        }
    }

    @Command(
            name = "all",
            mixinStandardHelpOptions = true,
            description = "The whole /config_dump (JSON by default; -o yaml).")
    static final class All implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        AdminOptions admin;

        @Option(
                names = {"-o", "--output"},
                defaultValue = "json",
                description = "json or yaml (default: ${DEFAULT-VALUE}).")
        OutputFormat output;

        @Override
        public Integer call() {
            JsonNode dump;
            try (AdminOptions.Endpoint endpoint = admin.open()) {
                dump = endpoint.getJson("/config_dump");
            }
            var out = spec.commandLine().getOut();
            if (output == OutputFormat.TABLE) {
                throw new MeshctlException("ztunnel-config all prints json or yaml, not a table");
            }
            out.print(output == OutputFormat.YAML ? YamlOutput.yaml(dump) : YamlOutput.json(dump));
            out.flush();
            return ExitCodes.OK;
        }
    }
}
