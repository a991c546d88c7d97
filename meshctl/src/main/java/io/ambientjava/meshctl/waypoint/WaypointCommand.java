package io.ambientjava.meshctl.waypoint;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import io.ambientjava.meshctl.kube.KubeErrors;
import io.ambientjava.meshctl.kube.KubeOptions;
import io.ambientjava.meshctl.output.OutputFormat;
import io.ambientjava.meshctl.output.Table;
import io.ambientjava.meshctl.output.YamlOutput;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshctl waypoint generate|apply|list|delete}, as {@code istioctl waypoint}. */
@Command(
        name = "waypoint",
        mixinStandardHelpOptions = true,
        description = "Manages waypoints: Gateway API Gateways of class istio-waypoint.",
        subcommands = {
            WaypointCommand.Generate.class,
            WaypointCommand.Apply.class,
            WaypointCommand.ListWaypoints.class,
            WaypointCommand.Delete.class
        })
public final class WaypointCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The Gateway's {@code Programmed} condition, if its controller has written one. */
    static Optional<Condition> programmedCondition(Gateway g) {
        if (g == null || g.getStatus() == null || g.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return g.getStatus().getConditions().stream()
                .filter(c -> "Programmed".equals(c.getType()))
                .findFirst();
    }

    /** Options every waypoint subcommand shares. */
    static final class Target {
        @Option(
                names = {"-n", "--namespace"},
                defaultValue = "default",
                description = "Namespace of the waypoint (default: ${DEFAULT-VALUE}).")
        String namespace;
    }

    /** What describes the Gateway to create. */
    static final class Shape {
        @Option(
                names = "--name",
                defaultValue = "waypoint",
                description = "Name of the waypoint Gateway (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(
                names = "--for",
                defaultValue = "service",
                paramLabel = "service|workload|all|none",
                converter = TrafficTypeConverter.class,
                description =
                        "Which traffic the waypoint takes (label istio.io/waypoint-for; default: ${DEFAULT-VALUE}).")
        TrafficType trafficType;

        @Option(
                names = {"-r", "--revision"},
                description = "Istio revision to label the waypoint with (istio.io/rev).")
        String revision;

        Gateway gateway(String namespace) {
            DnsNames.requireLabel(namespace, "--namespace");
            DnsNames.requireSubdomain(name, "--name");
            return WaypointGateway.of(namespace, name, trafficType, Optional.ofNullable(revision));
        }
    }

    static final class TrafficTypeConverter implements picocli.CommandLine.ITypeConverter<TrafficType> {
        @Override
        public TrafficType convert(String value) {
            try {
                return TrafficType.of(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Command(
            name = "generate",
            mixinStandardHelpOptions = true,
            description = "Prints the waypoint Gateway as YAML (no cluster needed).")
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Mixin
        Shape shape;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(YamlOutput.yaml(shape.gateway(target.namespace)));
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            description = {
                "Creates (or with --overwrite updates) the waypoint Gateway in the cluster.",
                "With --dry-run nothing is sent: the Gateway is printed as YAML (or written to --output-file),"
                        + " so it works without a cluster."
            })
    static final class Apply implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Mixin
        Shape shape;

        @Mixin
        KubeOptions kube;

        @Option(
                names = "--enroll-namespace",
                description =
                        "Also label the namespace istio.io/use-waypoint=<name>, so its traffic uses this waypoint.")
        boolean enrollNamespace;

        @Option(names = "--overwrite", description = "Replace a waypoint of the same name that already exists.")
        boolean overwrite;

        @Option(names = "--dry-run", description = "Print (or write) the Gateway instead of applying it.")
        boolean dryRun;

        @Option(
                names = {"-o", "--output"},
                paramLabel = "yaml",
                description = "Print the applied Gateway as yaml (or json).")
        OutputFormat output;

        @Option(
                names = "--output-file",
                paramLabel = "FILE",
                description = "With --dry-run: write the YAML to FILE instead of printing it.")
        Path outputFile;

        @Option(
                names = {"-w", "--wait"},
                description = "Wait until the waypoint is programmed (its Gateway's condition Programmed is True: its"
                        + " Deployment and Service exist and it has an address), as istioctl waypoint apply --wait.")
        boolean await;

        @Option(
                names = "--wait-timeout",
                paramLabel = "DURATION",
                defaultValue = "2m",
                converter = DurationConverter.class,
                description = "How long --wait waits (e.g. 90s, 2m; default: ${DEFAULT-VALUE}).")
        Duration waitTimeout;

        @Override
        public Integer call() {
            Gateway gateway = shape.gateway(target.namespace);
            var out = spec.commandLine().getOut();
            if (outputFile != null && !dryRun) {
                throw new MeshctlException("--output-file needs --dry-run");
            }
            if (await && dryRun) {
                throw new MeshctlException("--wait cannot be used with --dry-run");
            }
            if (dryRun) {
                String yaml = output == OutputFormat.JSON ? YamlOutput.json(gateway) : YamlOutput.yaml(gateway);
                if (enrollNamespace) {
                    yaml += "---\n" + YamlOutput.yaml(enrolledNamespace(target.namespace, shape.name));
                }
                if (outputFile != null) {
                    try {
                        Files.writeString(outputFile, yaml);
                    } catch (IOException e) {
                        throw new MeshctlException(outputFile + ": cannot write: " + e.getMessage(), e);
                    }
                    out.println("waypoint " + target.namespace + "/" + shape.name + " written to " + outputFile);
                } else {
                    out.print(yaml);
                }
                out.flush();
                return ExitCodes.OK;
            }
            try (KubernetesClient client = kube.client()) {
                Gateway applied = apply(client, gateway);
                if (await) {
                    applied = awaitProgrammed(client, out);
                }
                if (enrollNamespace) {
                    client.namespaces().withName(target.namespace).edit(ns -> {
                        ns.getMetadata().getLabels().put(WaypointGateway.USE_WAYPOINT_LABEL, shape.name);
                        return ns;
                    });
                }
                if (output == OutputFormat.YAML) {
                    out.print(YamlOutput.yaml(applied));
                } else if (output == OutputFormat.JSON) {
                    out.print(YamlOutput.json(applied));
                } else {
                    out.println("waypoint " + target.namespace + "/" + shape.name + " applied");
                    if (enrollNamespace) {
                        out.println("namespace " + target.namespace + " labeled with \""
                                + WaypointGateway.USE_WAYPOINT_LABEL + "=" + shape.name + "\"");
                    }
                }
                out.flush();
                return ExitCodes.OK;
            } catch (KubernetesClientException e) {
                throw KubeErrors.explain(e, "applying waypoint " + target.namespace + "/" + shape.name, kube);
            }
        }

        /** Polls the Gateway until Programmed is True; fails with the condition's last reason at the timeout. */
        private Gateway awaitProgrammed(KubernetesClient client, java.io.PrintWriter out) {
            var resource = client.resources(Gateway.class)
                    .inNamespace(target.namespace)
                    .withName(shape.name);
            long deadline = System.nanoTime() + waitTimeout.toNanos();
            Gateway current = resource.get();
            while (true) {
                Optional<Condition> programmed = programmedCondition(current);
                if (programmed.isPresent() && "True".equals(programmed.get().getStatus())) {
                    return current;
                }
                if (System.nanoTime() >= deadline) {
                    throw new MeshctlException("waypoint " + target.namespace + "/" + shape.name
                            + " is not programmed after " + DurationConverter.format(waitTimeout) + ": "
                            + programmed
                                    .map(c -> c.getReason()
                                            + (c.getMessage() == null
                                                            || c.getMessage().isEmpty()
                                                    ? ""
                                                    : " (" + c.getMessage() + ")"))
                                    .orElse("no Programmed condition yet (is istiod-lite deploying waypoints?)"));
                }
                try {
                    Thread.sleep(Math.min(500, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MeshctlException(
                            "interrupted while waiting for waypoint " + target.namespace + "/" + shape.name);
                }
                current = resource.get();
                if (current == null) {
                    throw new MeshctlException(
                            "waypoint " + target.namespace + "/" + shape.name + " was deleted while waiting for it");
                }
            }
        }

        private Gateway apply(KubernetesClient client, Gateway gateway) {
            if (client.namespaces().withName(target.namespace).get() == null) {
                throw new MeshctlException("namespace " + target.namespace + " does not exist");
            }
            var resource = client.resources(Gateway.class)
                    .inNamespace(target.namespace)
                    .withName(shape.name);
            Gateway existing = resource.get();
            if (existing == null) {
                return client.resources(Gateway.class)
                        .inNamespace(target.namespace)
                        .resource(gateway)
                        .create();
            }
            if (!overwrite) {
                throw new MeshctlException("waypoint " + target.namespace + "/" + shape.name
                        + " already exists; use --overwrite to replace it");
            }
            gateway.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            return client.resources(Gateway.class)
                    .inNamespace(target.namespace)
                    .resource(gateway)
                    .update();
        }
    }

    static Namespace enrolledNamespace(String namespace, String waypoint) {
        return new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(namespace)
                .addToLabels(WaypointGateway.USE_WAYPOINT_LABEL, waypoint)
                .endMetadata()
                .build();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the waypoints of a namespace.")
    static final class ListWaypoints implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Mixin
        KubeOptions kube;

        @Option(
                names = {"-A", "--all-namespaces"},
                description = "List waypoints in every namespace.")
        boolean allNamespaces;

        @Option(
                names = {"-o", "--output"},
                defaultValue = "table",
                description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
        OutputFormat output;

        @Override
        public Integer call() {
            var out = spec.commandLine().getOut();
            try (KubernetesClient client = kube.client()) {
                List<Gateway> gateways = allNamespaces
                        ? client.resources(Gateway.class)
                                .inAnyNamespace()
                                .list()
                                .getItems()
                        : client.resources(Gateway.class)
                                .inNamespace(target.namespace)
                                .list()
                                .getItems();
                List<Gateway> waypoints = new ArrayList<>(gateways.stream()
                        .filter(WaypointGateway::isWaypoint)
                        .sorted(Comparator.comparing(
                                        (Gateway g) -> g.getMetadata().getNamespace())
                                .thenComparing(g -> g.getMetadata().getName()))
                        .toList());
                switch (output) {
                    case JSON -> out.print(YamlOutput.json(waypoints));
                    case YAML -> out.print(YamlOutput.yamlDocuments(waypoints));
                    case TABLE -> {
                        if (waypoints.isEmpty()) {
                            out.println("No waypoints found"
                                    + (allNamespaces ? "." : " in namespace " + target.namespace + "."));
                        } else {
                            out.print(table(waypoints, allNamespaces).render());
                        }
                    }
                }
                out.flush();
                return ExitCodes.OK;
            } catch (KubernetesClientException e) {
                throw KubeErrors.explain(e, "listing waypoints", kube);
            }
        }

        private static Table table(List<Gateway> waypoints, boolean withNamespace) {
            Table table = withNamespace
                    ? new Table("NAMESPACE", "NAME", "REVISION", "PROGRAMMED", "FOR")
                    : new Table("NAME", "REVISION", "PROGRAMMED", "FOR");
            for (Gateway g : waypoints) {
                var labels = g.getMetadata().getLabels() == null
                        ? java.util.Map.<String, String>of()
                        : g.getMetadata().getLabels();
                String revision = labels.getOrDefault(WaypointGateway.REVISION_LABEL, "default");
                String trafficFor = labels.getOrDefault(WaypointGateway.WAYPOINT_FOR_LABEL, "service");
                String programmed = programmed(g);
                if (withNamespace) {
                    table.row(
                            g.getMetadata().getNamespace(),
                            g.getMetadata().getName(),
                            revision,
                            programmed,
                            trafficFor);
                } else {
                    table.row(g.getMetadata().getName(), revision, programmed, trafficFor);
                }
            }
            return table;
        }

        private static String programmed(Gateway g) {
            return programmedCondition(g).map(Condition::getStatus).orElse("Unknown");
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = "Deletes waypoints by name, or all of a namespace with --all.")
    static final class Delete implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Target target;

        @Mixin
        KubeOptions kube;

        @Parameters(paramLabel = "NAME", arity = "0..*", description = "Waypoints to delete.")
        List<String> names = new ArrayList<>();

        @Option(names = "--all", description = "Delete every waypoint in the namespace.")
        boolean all;

        @Override
        public Integer call() {
            if (names.isEmpty() && !all) {
                throw new MeshctlException("name a waypoint to delete, or use --all");
            }
            if (!names.isEmpty() && all) {
                throw new MeshctlException("give waypoint names or --all, not both");
            }
            var out = spec.commandLine().getOut();
            try (KubernetesClient client = kube.client()) {
                List<String> targets = all
                        ? client.resources(Gateway.class).inNamespace(target.namespace).list().getItems().stream()
                                .filter(WaypointGateway::isWaypoint)
                                .map(g -> g.getMetadata().getName())
                                .sorted()
                                .toList()
                        : names;
                for (String name : targets) {
                    Gateway existing = client.resources(Gateway.class)
                            .inNamespace(target.namespace)
                            .withName(name)
                            .get();
                    if (existing == null || !WaypointGateway.isWaypoint(existing)) {
                        throw new MeshctlException("waypoint " + target.namespace + "/" + name + " not found");
                    }
                    client.resources(Gateway.class)
                            .inNamespace(target.namespace)
                            .withName(name)
                            .delete();
                    out.println("waypoint " + target.namespace + "/" + name + " deleted");
                }
                if (targets.isEmpty()) {
                    out.println("No waypoints found in namespace " + target.namespace + ".");
                }
                out.flush();
                return ExitCodes.OK;
            } catch (KubernetesClientException e) {
                throw KubeErrors.explain(e, "deleting waypoints", kube);
            }
        }
    }
}
