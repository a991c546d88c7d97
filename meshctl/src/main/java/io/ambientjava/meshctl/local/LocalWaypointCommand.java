package io.ambientjava.meshctl.local;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.local.ControlApi.WaypointInfo;
import io.ambientjava.meshctl.local.ControlApi.WaypointSpec;
import io.ambientjava.meshctl.output.Table;
import io.ambientjava.meshctl.waypoint.TrafficType;
import io.ambientjava.meshctl.waypoint.WaypointGateway;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code meshctl local waypoint apply|list|delete}: waypoints of the local mesh, as {@code istioctl waypoint
 * apply|list|delete} makes, shows and removes them in a cluster. The supervisor starts each (its Gateway, Service and
 * pod running waypoint.jar) and stops it on delete or with the mesh.
 */
@Command(
        name = "waypoint",
        mixinStandardHelpOptions = true,
        description =
                "Applies, lists and deletes waypoints of the local mesh (what istioctl waypoint does in a cluster).",
        subcommands = {
            LocalWaypointCommand.Apply.class,
            LocalWaypointCommand.ListWaypoints.class,
            LocalWaypointCommand.Delete.class
        })
public final class LocalWaypointCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (apply, list, delete)");
    }

    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            description = {
                "Starts a waypoint: its Gateway (class istio-waypoint) and Service, and its pod NAME-0 running"
                        + " waypoint.jar as spiffe://cluster.local/ns/NS/sa/NAME; returns once it has its config.",
                "Bind traffic to it with the istio.io/use-waypoint label (on the namespace: --enroll-namespace).",
                "Example: meshctl local waypoint apply -n default --enroll-namespace",
                "         meshctl local waypoint apply web-wp --for workload --node node-b"
            })
    public static final class Apply implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Parameters(
                index = "0",
                arity = "0..1",
                defaultValue = "waypoint",
                paramLabel = "NAME",
                description = "The waypoint's name (default: ${DEFAULT-VALUE}, as istioctl's).")
        String name;

        @Option(
                names = {"-n", "--namespace"},
                defaultValue = "default",
                description = "Namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(
                names = "--for",
                defaultValue = "service",
                paramLabel = "service|workload|all|none",
                description = "Which traffic it takes (label istio.io/waypoint-for; default: ${DEFAULT-VALUE}).")
        String traffic;

        @Option(names = "--node", description = "The node its pod runs on (default: the first node).")
        String node;

        @Option(
                names = "--enroll-namespace",
                description = "Then label the namespace istio.io/use-waypoint=NAME (its services use the waypoint).")
        boolean enrollNamespace;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            WaypointSpec request = spec();
            PrintWriter out = spec.commandLine().getOut();
            LocalMeshClient client = mesh.connect();
            WaypointInfo waypoint = client.addWaypoint(request);
            out.println("waypoint " + waypoint.namespace() + "/" + waypoint.name() + " applied on " + waypoint.node()
                    + " (" + waypoint.ip() + ", " + waypoint.principal() + "), for "
                    + (waypoint.traffic().equals(TrafficType.NONE.label()) ? "no" : waypoint.traffic()) + " traffic");
            out.flush();
            if (enrollNamespace) {
                String label = WaypointGateway.USE_WAYPOINT_LABEL + "=" + name;
                String outcome = LabelCommand.label(
                        client,
                        ApplyCommand.namespaceKey(namespace),
                        List.of(new PodArguments.LabelChange(WaypointGateway.USE_WAYPOINT_LABEL, Optional.of(name))),
                        true);
                out.println("namespace/" + namespace
                        + (outcome.equals("labeled") ? " labeled with " : " already labeled ") + label);
            }
            return ExitCodes.OK;
        }

        /** The request, with every argument checked (a usage error names the one that is wrong). */
        WaypointSpec spec() {
            try {
                PodArguments.checkName("waypoint", name);
                PodArguments.checkName("namespace", namespace);
                TrafficType type;
                try {
                    type = TrafficType.of(traffic);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--for: " + e.getMessage());
                }
                return new WaypointSpec(namespace, name, type.label(), node);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "Lists the waypoints.")
    public static final class ListWaypoints implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Mixin
        ListingOptions listing;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            listing.print(
                    spec, "waypoints", () -> mesh.connect().waypoints(), WaypointInfo::namespace, ListWaypoints::table);
            return ExitCodes.OK;
        }

        static Table table(List<WaypointInfo> waypoints) {
            Table table = new Table("NAMESPACE", "NAME", "TRAFFIC", "NODE", "IP", "PRINCIPAL");
            waypoints.forEach(w -> table.row(w.namespace(), w.name(), w.traffic(), w.node(), w.ip(), w.principal()));
            return table;
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = {
                "Deletes a waypoint: stops its pod NAME-0 (waypoint.jar and its istiod relay), runs CNI DEL through"
                        + " its node's chain, removes its network namespace, its Gateway, Service and Pod, and its CA"
                        + " token. The name can then be applied again.",
                "Labels that name it (istio.io/use-waypoint) stay, as in a cluster.",
                "Example: meshctl local waypoint delete web-wp -n default"
            })
    public static final class Delete implements Callable<Integer> {
        @Mixin
        LocalMeshOption mesh;

        @Parameters(index = "0", paramLabel = "NAME", description = "The waypoint's name.")
        String name;

        @Option(
                names = {"-n", "--namespace"},
                defaultValue = "default",
                description = "Namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try {
                PodArguments.checkName("waypoint", name);
                PodArguments.checkName("namespace", namespace);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            mesh.connect().deleteWaypoint(namespace, name);
            spec.commandLine().getOut().println("waypoint " + namespace + "/" + name + " deleted");
            return ExitCodes.OK;
        }
    }
}
