package io.ambientjava.istiod.translate;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Which waypoints serve the workloads a {@code selector} policy selects. A selected pod is reached through a
 * waypoint when the Services that select it are bound to one ({@code istio.io/use-waypoint} on the Service or its
 * namespace), or when the pod itself is bound to a waypoint for {@code workload} (or {@code all}) traffic; that
 * waypoint then enforces the policy's L7 rules on those services' listeners (on the pod's {@code inbound-pod} chain),
 * and ztunnel only has to let the waypoint's identity through. A policy in the root namespace selects pods of every
 * namespace.
 *
 * <p>A pod counts as fully covered only when it has a waypoint of its own (for workload traffic) and every Service
 * behind which it is has a waypoint: a Service without one, or a client calling the pod by its address while only
 * its Services have waypoints, would reach it with no L7 check at all.
 */
public final class SelectorWaypoints {

    private static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

    /** A namespace and service account, the identity of a waypoint's pods. */
    public record Account(String namespace, String serviceAccount) {
        @Override
        public String toString() {
            return namespace + "/" + serviceAccount;
        }
    }

    /**
     * Waypoint identities ztunnel lets through to the selected pods in place of an ALLOW rule's HTTP part: only where
     * the waypoint checks the L7 rules.
     *
     * @param ports the pod ports they may reach (empty: any)
     * @param notPorts the pod ports they may not reach
     */
    public record Admission(List<Account> accounts, List<Integer> ports, List<Integer> notPorts) {
        /** {@code default/waypoint}, for warnings. */
        public String who() {
            return String.join(", ", accounts.stream().map(Account::toString).toList());
        }

        /** {@code ports [9080]}, {@code every port}, {@code every port but [5432]}, for warnings. */
        public String where() {
            return !ports.isEmpty()
                    ? "ports " + ports
                    : notPorts.isEmpty() ? "every port" : "every port but " + notPorts;
        }
    }

    /**
     * What serves a selector's workloads.
     *
     * @param waypoints the waypoints (by {@code namespace/name}) that enforce the policy, each with the services
     *     ({@code namespace/name}) whose listeners carry it and the pods ({@code pod namespace/name}) whose own
     *     traffic it takes
     * @param accounts the waypoints' identities
     * @param admissions where ztunnel lets them through: a waypoint that only serves services, to the pod ports behind
     *     their HTTP listeners (a TCP listener passes bytes without the L7 rules); one that takes a selected pod's own
     *     traffic, whose {@code inbound-pod} chain checks them on every port, to every port but those behind its TCP
     *     listeners
     * @param uncoveredPods selected pods ({@code namespace/name}) some traffic reaches without a waypoint: through a
     *     Service without one, or by the pod's own address when the pod has no waypoint of its own
     * @param selectedPods how many pods the selector selects
     */
    public record Coverage(
            Map<String, List<String>> waypoints,
            List<Account> accounts,
            List<Admission> admissions,
            List<String> uncoveredPods,
            int selectedPods) {

        public static final Coverage NONE = new Coverage(Map.of(), List.of(), List.of(), List.of(), 0);

        /** At least one selected pod is behind a waypoint. */
        public boolean any() {
            return !waypoints.isEmpty();
        }

        /** Every selected pod is behind waypoints only. */
        public boolean complete() {
            return any() && uncoveredPods.isEmpty();
        }

        /** {@code waypoint default/waypoint (for default/productpage), ...}, for logs and warnings. */
        public String describe() {
            List<String> parts = new ArrayList<>();
            waypoints.forEach((waypoint, services) ->
                    parts.add("waypoint " + waypoint + " (for " + String.join(", ", services) + ")"));
            return String.join(", ", parts);
        }
    }

    private final ConfigSnapshot snapshot;
    private final WaypointIndex waypoints;
    private boolean indexed;
    private final MeshSettings settings;
    private final Map<String, List<Service>> selectingServices = new HashMap<>();
    private final Map<String, List<Pod>> podsByNamespace = new HashMap<>();
    private Map<String, List<Account>> waypointAccounts;

    public SelectorWaypoints(ConfigSnapshot snapshot, WaypointIndex waypoints, MeshSettings settings) {
        this.snapshot = snapshot;
        this.waypoints = waypoints;
        this.settings = settings;
    }

    /** Indexed on first use: most snapshots have no waypoint or no selector policy, and pods are many. */
    private void index() {
        if (indexed) {
            return;
        }
        indexed = true;
        for (Service service : snapshot.services()) {
            if (service.getSpec() != null
                    && service.getSpec().getSelector() != null
                    && !service.getSpec().getSelector().isEmpty()) {
                selectingServices
                        .computeIfAbsent(service.getMetadata().getNamespace(), n -> new ArrayList<>())
                        .add(service);
            }
        }
        for (Pod pod : snapshot.pods()) {
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if (!"Succeeded".equals(phase) && !"Failed".equals(phase)) {
                podsByNamespace
                        .computeIfAbsent(pod.getMetadata().getNamespace(), n -> new ArrayList<>())
                        .add(pod);
            }
        }
    }

    /** The waypoints serving the pods that {@code matchLabels} selects for a policy in {@code policyNamespace}. */
    public Coverage coverage(String policyNamespace, Map<String, String> matchLabels) {
        if (waypoints.all().isEmpty()) {
            return Coverage.NONE;
        }
        index();
        List<Pod> candidates = policyNamespace.equals(settings.rootNamespace())
                ? podsByNamespace.values().stream().flatMap(List::stream).toList()
                : podsByNamespace.getOrDefault(policyNamespace, List.of());
        Map<String, TreeSet<String>> byWaypoint = new TreeMap<>();
        Map<String, WaypointIndex.Waypoint> used = new TreeMap<>();
        Set<String> ofPods = new TreeSet<>(); // waypoints taking a selected pod's own traffic
        Map<String, Set<Integer>> httpPorts = new HashMap<>();
        Map<String, Set<Integer>> tcpPorts = new HashMap<>();
        List<String> uncovered = new ArrayList<>();
        int selected = 0;
        for (Pod pod : candidates) {
            Map<String, String> labels = LabelSelector.labelsOf(pod);
            if (labels.containsKey(GATEWAY_NAME_LABEL) || !LabelSelector.selects(matchLabels, labels)) {
                continue;
            }
            selected++;
            String namespace = pod.getMetadata().getNamespace();
            String podName = namespace + "/" + pod.getMetadata().getName();
            Optional<WaypointIndex.Waypoint> own = waypoints.forWorkload(pod, message -> {});
            boolean covered = own.isPresent();
            boolean bypassed = false;
            if (own.isPresent()) {
                ofPods.add(own.get().key());
                use(own.get(), "pod " + podName, used, byWaypoint);
            }
            for (Service service : selectingServices.getOrDefault(namespace, List.of())) {
                if (!LabelSelector.selects(service.getSpec().getSelector(), labels)) {
                    continue;
                }
                Optional<WaypointIndex.Waypoint> waypoint = waypoints.forService(service, message -> {});
                if (waypoint.isPresent()) {
                    covered = true;
                    String key = waypoint.get().key();
                    targetPorts(
                            service,
                            pod,
                            httpPorts.computeIfAbsent(key, k -> new TreeSet<>()),
                            tcpPorts.computeIfAbsent(key, k -> new TreeSet<>()));
                    use(waypoint.get(), namespace + "/" + service.getMetadata().getName(), used, byWaypoint);
                } else {
                    bypassed = true;
                }
            }
            // A client may also call the pod by its own address, which only a waypoint of its own (workload
            // traffic) stands in front of: a Service's waypoint is then bypassed.
            if (!covered || bypassed || own.isEmpty()) {
                uncovered.add(podName);
            }
        }
        Map<String, List<String>> served = new TreeMap<>();
        byWaypoint.forEach((key, names) -> served.put(key, List.copyOf(names)));
        List<Admission> admissions = new ArrayList<>();
        List<WaypointIndex.Waypoint> ofServices =
                used.values().stream().filter(w -> !ofPods.contains(w.key())).toList();
        List<Integer> servicePorts = ports(ofServices.stream().map(WaypointIndex.Waypoint::key), httpPorts);
        if (!servicePorts.isEmpty()) {
            admissions.add(new Admission(accountsOf(ofServices), servicePorts, List.of()));
        }
        if (!ofPods.isEmpty()) {
            admissions.add(new Admission(
                    accountsOf(ofPods.stream().map(used::get).toList()), List.of(), ports(ofPods.stream(), tcpPorts)));
        }
        return new Coverage(
                served, accountsOf(used.values()), List.copyOf(admissions), List.copyOf(uncovered), selected);
    }

    private static void use(
            WaypointIndex.Waypoint waypoint,
            String entry,
            Map<String, WaypointIndex.Waypoint> used,
            Map<String, TreeSet<String>> byWaypoint) {
        used.put(waypoint.key(), waypoint);
        byWaypoint.computeIfAbsent(waypoint.key(), k -> new TreeSet<>()).add(entry);
    }

    private static List<Integer> ports(Stream<String> waypoints, Map<String, Set<Integer>> byWaypoint) {
        TreeSet<Integer> ports = new TreeSet<>();
        waypoints.forEach(key -> ports.addAll(byWaypoint.getOrDefault(key, Set.of())));
        return List.copyOf(ports);
    }

    /** The identities of these waypoints, sorted. */
    private List<Account> accountsOf(Collection<WaypointIndex.Waypoint> waypoints) {
        TreeSet<Account> accounts = new TreeSet<>(Comparator.comparing(Account::toString));
        waypoints.forEach(w -> accounts.addAll(accountsOf(w)));
        return List.copyOf(accounts);
    }

    /**
     * The identities a waypoint's HBONE connections carry: the service accounts of its pods (labelled
     * {@code gateway.networking.k8s.io/gateway-name}), else the account named after the Gateway, which is what Istio's
     * gateway controller creates for a waypoint.
     */
    public List<Account> accountsOf(WaypointIndex.Waypoint waypoint) {
        index();
        if (waypointAccounts == null) {
            waypointAccounts = new HashMap<>();
            for (List<Pod> pods : podsByNamespace.values()) {
                for (Pod pod : pods) {
                    String gateway = LabelSelector.labelsOf(pod).get(GATEWAY_NAME_LABEL);
                    if (gateway != null) {
                        String namespace = pod.getMetadata().getNamespace();
                        List<Account> list =
                                waypointAccounts.computeIfAbsent(namespace + "/" + gateway, k -> new ArrayList<>());
                        Account account = new Account(namespace, serviceAccount(pod));
                        if (!list.contains(account)) {
                            list.add(account);
                        }
                    }
                }
            }
        }
        List<Account> found = waypointAccounts.get(waypoint.key());
        return found == null || found.isEmpty()
                ? List.of(new Account(waypoint.namespace(), waypoint.name()))
                : List.copyOf(found);
    }

    /**
     * The pod ports behind the service's HTTP ports, and those behind its other ports (the waypoint's protocol rule,
     * as in its listeners).
     */
    private static void targetPorts(Service service, Pod pod, Set<Integer> http, Set<Integer> tcp) {
        for (ServicePort port : service.getSpec().getPorts() == null
                ? List.<ServicePort>of()
                : service.getSpec().getPorts()) {
            if (port.getPort() == null) {
                continue;
            }
            Set<Integer> out = http(port) ? http : tcp;
            IntOrString target = port.getTargetPort();
            if (target == null || (target.getIntVal() == null && target.getStrVal() == null)) {
                out.add(port.getPort());
            } else if (target.getIntVal() != null) {
                out.add(target.getIntVal());
            } else {
                containerPort(pod, target.getStrVal()).ifPresent(out::add);
            }
        }
    }

    private static Optional<Integer> containerPort(Pod pod, String name) {
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return Optional.empty();
        }
        for (Container container : pod.getSpec().getContainers()) {
            for (ContainerPort port : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
                if (name.equals(port.getName()) && port.getContainerPort() != null) {
                    return Optional.of(port.getContainerPort());
                }
            }
        }
        return Optional.empty();
    }

    /**
     * HTTP unless the appProtocol (or the name's prefix) says {@code tcp}, {@code tls}, {@code https}, {@code mongo},
     * {@code mysql} or {@code redis}: the rule by which the waypoint gets an HTTP or a TCP listener for a port
     * (docs/waypoint-xds.md).
     */
    private static boolean http(ServicePort port) {
        String declared = port.getAppProtocol();
        if (declared == null || declared.isEmpty()) {
            String name = port.getName() == null ? "" : port.getName();
            int dash = name.indexOf('-');
            declared = dash < 0 ? name : name.substring(0, dash);
        }
        return switch (declared.toLowerCase(Locale.ROOT)) {
            case "tcp", "tls", "https", "mongo", "mysql", "redis" -> false;
            default -> true;
        };
    }

    private static String serviceAccount(Pod pod) {
        var spec = pod.getSpec();
        if (spec != null
                && spec.getServiceAccountName() != null
                && !spec.getServiceAccountName().isEmpty()) {
            return spec.getServiceAccountName();
        }
        if (spec != null
                && spec.getServiceAccount() != null
                && !spec.getServiceAccount().isEmpty()) {
            return spec.getServiceAccount();
        }
        return "default";
    }
}
