package io.ambientjava.ztunnel.state;

import io.ambientjava.ztunnel.state.policy.Authorization;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A batch of changes to the state, whatever its source (a local file, workload xDS). Applied atomically by {@link
 * WorkloadStore#apply}: first, when {@code replaceAll}, everything is dropped; then removals; then upserts (an
 * upsert replaces the resource with the same key). Readers see the state before the batch or after it, never in
 * between.
 *
 * @param removedAddresses xDS {@code Address} resource names: a workload uid or a service {@code namespace/hostname}
 */
public record StateUpdate(
        boolean replaceAll,
        List<Workload> workloads,
        List<Service> services,
        List<Authorization> policies,
        Set<String> removedWorkloads,
        Set<NamespacedHostname> removedServices,
        Set<String> removedPolicies,
        Set<String> removedAddresses) {

    public StateUpdate {
        workloads = List.copyOf(workloads);
        services = List.copyOf(services);
        policies = List.copyOf(policies);
        removedWorkloads = Set.copyOf(removedWorkloads);
        removedServices = Set.copyOf(removedServices);
        removedPolicies = Set.copyOf(removedPolicies);
        removedAddresses = Set.copyOf(removedAddresses);
    }

    /** A batch that makes the state exactly these resources. */
    public static StateUpdate replaceAll(
            Collection<Workload> workloads, Collection<Service> services, Collection<Authorization> policies) {
        return new StateUpdate(
                true,
                List.copyOf(workloads),
                List.copyOf(services),
                List.copyOf(policies),
                Set.of(),
                Set.of(),
                Set.of(),
                Set.of());
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean isEmpty() {
        return !replaceAll
                && workloads.isEmpty()
                && services.isEmpty()
                && policies.isEmpty()
                && removedWorkloads.isEmpty()
                && removedServices.isEmpty()
                && removedPolicies.isEmpty()
                && removedAddresses.isEmpty();
    }

    /** Collects changes for one batch. */
    public static final class Builder {
        private boolean replaceAll;
        private final List<Workload> workloads = new ArrayList<>();
        private final List<Service> services = new ArrayList<>();
        private final List<Authorization> policies = new ArrayList<>();
        private final Set<String> removedWorkloads = new LinkedHashSet<>();
        private final Set<NamespacedHostname> removedServices = new LinkedHashSet<>();
        private final Set<String> removedPolicies = new LinkedHashSet<>();
        private final Set<String> removedAddresses = new LinkedHashSet<>();

        private Builder() {}

        /** Drop everything not in this batch (a state-of-the-world update). */
        public Builder replaceAll() {
            replaceAll = true;
            return this;
        }

        public Builder upsert(Workload workload) {
            workloads.add(workload);
            return this;
        }

        public Builder upsert(Service service) {
            services.add(service);
            return this;
        }

        /** Upserts what an xDS {@code Address} carried. */
        public Builder upsert(AddressResource resource) {
            return switch (resource) {
                case Workload w -> upsert(w);
                case Service s -> upsert(s);
            };
        }

        public Builder upsert(Authorization policy) {
            policies.add(policy);
            return this;
        }

        public Builder removeWorkload(String uid) {
            removedWorkloads.add(uid);
            return this;
        }

        public Builder removeService(NamespacedHostname key) {
            removedServices.add(key);
            return this;
        }

        public Builder removePolicy(String key) {
            removedPolicies.add(key);
            return this;
        }

        /** Removes an xDS {@code Address} by resource name: the workload with that uid, else the service. */
        public Builder removeAddress(String resourceName) {
            removedAddresses.add(resourceName);
            return this;
        }

        public StateUpdate build() {
            return new StateUpdate(
                    replaceAll,
                    workloads,
                    services,
                    policies,
                    removedWorkloads,
                    removedServices,
                    removedPolicies,
                    removedAddresses);
        }
    }
}
