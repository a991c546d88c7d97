package io.ambientjava.ztunnel.state;

import io.ambientjava.ztunnel.state.policy.Authorization;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One immutable, fully indexed view of the mesh: workloads, services (with endpoints derived from the workloads),
 * and authorization policies. Readers take a snapshot once per decision and keep using it: it never changes under
 * them, and taking it costs one volatile read (see {@link WorkloadStore#snapshot()}).
 */
public final class StateSnapshot {

    private static final StateSnapshot EMPTY = build(0, Map.of(), Map.of(), Map.of());

    private final long generation;
    private final List<Workload> workloads;
    private final Map<String, Workload> workloadsByUid;
    private final Map<NetworkAddress, Workload> workloadsByAddress;
    private final Map<String, Workload> workloadsByName;
    private final List<Service> services;
    private final Map<NamespacedHostname, Service> servicesByKey;
    private final Map<NetworkAddress, Service> servicesByVip;
    private final Map<String, List<Service>> servicesByHostname;
    private final Map<NamespacedHostname, List<Endpoint>> endpointsByService;
    private final List<Authorization> policies;
    private final Map<String, Authorization> policiesByKey;
    private final Map<String, List<Authorization>> namespacePolicies;
    private final List<Authorization> globalPolicies;

    private StateSnapshot(
            long generation,
            Map<String, Workload> workloads,
            Map<NamespacedHostname, Service> services,
            Map<String, Authorization> policies) {
        this.generation = generation;

        this.workloads = List.copyOf(new TreeMap<>(workloads).values());
        this.workloadsByUid = Map.copyOf(workloads);
        this.workloadsByAddress = indexWorkloadsByAddress(this.workloads);
        Map<String, Workload> byName = new HashMap<>();
        for (Workload workload : this.workloads) {
            // workloads are visited in uid order: the first one keeps a contested name
            byName.putIfAbsent(workload.namespace() + "/" + workload.name(), workload);
        }
        this.workloadsByName = Map.copyOf(byName);

        this.services = List.copyOf(new TreeMap<>(services).values());
        this.servicesByKey = Map.copyOf(services);
        Map<NetworkAddress, Service> byVip = new HashMap<>();
        Map<String, List<Service>> byHostname = new HashMap<>();
        for (Service service : this.services) {
            for (NetworkAddress vip : service.vips()) {
                // services are visited in key order: the first one keeps a contested VIP
                byVip.putIfAbsent(vip, service);
            }
            byHostname
                    .computeIfAbsent(service.hostname(), h -> new ArrayList<>())
                    .add(service);
        }
        this.servicesByVip = Map.copyOf(byVip);
        this.servicesByHostname = copyOfLists(byHostname);

        Map<NamespacedHostname, List<Endpoint>> endpoints = new HashMap<>();
        for (Workload workload : this.workloads) {
            workload.services()
                    .forEach((service, ports) -> endpoints
                            .computeIfAbsent(service, s -> new ArrayList<>())
                            .add(new Endpoint(service, workload, ports)));
        }
        this.endpointsByService = copyOfLists(endpoints);

        this.policies = List.copyOf(new TreeMap<>(policies).values());
        this.policiesByKey = Map.copyOf(policies);
        Map<String, List<Authorization>> byNamespace = new HashMap<>();
        List<Authorization> global = new ArrayList<>();
        for (Authorization policy : this.policies) {
            switch (policy.scope()) {
                case GLOBAL -> global.add(policy);
                case NAMESPACE ->
                    byNamespace
                            .computeIfAbsent(policy.namespace(), n -> new ArrayList<>())
                            .add(policy);
                case WORKLOAD_SELECTOR -> {
                    // applies only through Workload.authorizationPolicies
                }
            }
        }
        this.namespacePolicies = copyOfLists(byNamespace);
        this.globalPolicies = List.copyOf(global);
    }

    /** The snapshot of an empty store (generation 0). */
    public static StateSnapshot empty() {
        return EMPTY;
    }

    static StateSnapshot build(
            long generation,
            Map<String, Workload> workloads,
            Map<NamespacedHostname, Service> services,
            Map<String, Authorization> policies) {
        return new StateSnapshot(generation, workloads, services, policies);
    }

    private static Map<NetworkAddress, Workload> indexWorkloadsByAddress(List<Workload> workloads) {
        Map<NetworkAddress, Workload> byAddress = new HashMap<>();
        for (Workload workload : workloads) {
            if (workload.networkMode() == NetworkMode.HOST_NETWORK) {
                continue;
            }
            for (NetworkAddress address : workload.networkAddresses()) {
                byAddress.merge(address, workload, StateSnapshot::preferredOwner);
            }
        }
        return Map.copyOf(byAddress);
    }

    /**
     * Two workloads claim one address (e.g. a pod and a WorkloadEntry): prefer a pod, then one in the mesh, as
     * upstream ztunnel does; pods are the hardest to spoof. Ties keep the smaller uid, so the choice is stable.
     */
    private static Workload preferredOwner(Workload current, Workload candidate) {
        Comparator<Workload> rank = Comparator.comparing((Workload w) -> w.uid().contains("//Pod/"))
                .thenComparing(w -> w.protocol() == Protocol.HBONE);
        return rank.compare(candidate, current) > 0 ? candidate : current;
    }

    private static <K, V> Map<K, List<V>> copyOfLists(Map<K, List<V>> map) {
        Map<K, List<V>> copy = new HashMap<>();
        map.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return Map.copyOf(copy);
    }

    /** Incremented by every applied update; tells snapshots apart. */
    public long generation() {
        return generation;
    }

    /** All workloads, by uid. */
    public List<Workload> workloads() {
        return workloads;
    }

    public Optional<Workload> workload(String uid) {
        return Optional.ofNullable(workloadsByUid.get(uid));
    }

    /**
     * The workload named {@code name} in {@code namespace}: how a pod enrolled over ZDS is found, since the node
     * agent knows the pod by its Kubernetes UID and name, not by the mesh's workload uid.
     */
    public Optional<Workload> workloadNamed(String namespace, String name) {
        return Optional.ofNullable(workloadsByName.get(namespace + "/" + name));
    }

    /** The workload owning an address (host-network workloads are never found this way). */
    public Optional<Workload> workloadAt(NetworkAddress address) {
        return Optional.ofNullable(workloadsByAddress.get(address));
    }

    public Optional<Workload> workloadAt(String network, InetAddress ip) {
        return workloadAt(new NetworkAddress(network, ip));
    }

    /** All services, by namespace/hostname. */
    public List<Service> services() {
        return services;
    }

    public Optional<Service> service(NamespacedHostname key) {
        return Optional.ofNullable(servicesByKey.get(key));
    }

    /** The service owning a VIP. */
    public Optional<Service> serviceAt(NetworkAddress vip) {
        return Optional.ofNullable(servicesByVip.get(vip));
    }

    /** The service owning a VIP, if it serves this port. */
    public Optional<Service> serviceAt(NetworkAddress vip, int port) {
        return serviceAt(vip).filter(service -> service.ports().contains(port));
    }

    /** Services with this hostname: usually one, more when ServiceEntries in several namespaces share it. */
    public List<Service> servicesByHostname(String hostname) {
        return servicesByHostname.getOrDefault(hostname, List.of());
    }

    /**
     * The workloads serving a service, healthy or not, ordered by workload uid. Known even before the service
     * itself arrives.
     */
    public List<Endpoint> endpoints(NamespacedHostname service) {
        return endpointsByService.getOrDefault(service, List.of());
    }

    /** All policies, by key. */
    public List<Authorization> policies() {
        return policies;
    }

    public Optional<Authorization> policy(String key) {
        return Optional.ofNullable(policiesByKey.get(key));
    }

    /**
     * The policies that apply to a workload: NAMESPACE-scoped ones of its namespace, GLOBAL ones, and the
     * WORKLOAD_SELECTOR (or other) policies it names in {@link Workload#authorizationPolicies()}. A named policy
     * that is not (yet) known is skipped, as upstream ztunnel does while the control plane catches up.
     */
    public List<Authorization> policiesFor(Workload workload) {
        List<Authorization> namespaced = namespacePolicies.getOrDefault(workload.namespace(), List.of());
        if (workload.authorizationPolicies().isEmpty()) {
            if (globalPolicies.isEmpty()) {
                return namespaced;
            }
            if (namespaced.isEmpty()) {
                return globalPolicies;
            }
        }
        LinkedHashSet<Authorization> applicable = new LinkedHashSet<>(namespaced);
        applicable.addAll(globalPolicies);
        for (String key : workload.authorizationPolicies()) {
            Authorization policy = policiesByKey.get(key);
            if (policy != null) {
                applicable.add(policy);
            }
        }
        return List.copyOf(applicable);
    }

    Map<String, Workload> workloadMap() {
        return workloadsByUid;
    }

    Map<NamespacedHostname, Service> serviceMap() {
        return servicesByKey;
    }

    Map<String, Authorization> policyMap() {
        return policiesByKey;
    }

    /** Counts for logs and admin pages. */
    public String summary() {
        return "generation " + generation + ": " + workloads.size() + " workloads, " + services.size() + " services, "
                + policies.size() + " policies";
    }

    @Override
    public String toString() {
        return "StateSnapshot{" + summary() + "}";
    }
}
