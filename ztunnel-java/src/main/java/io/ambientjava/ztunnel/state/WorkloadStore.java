package io.ambientjava.ztunnel.state;

import io.ambientjava.ztunnel.state.policy.Authorization;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's state: the current {@link StateSnapshot}, replaced whole on every update.
 *
 * <p>Readers (the data path) call {@link #snapshot()}: one volatile read, never a lock, never a wait. Writers (config
 * sources) are serialized among themselves; each builds a complete new snapshot beside the current one and
 * publishes it with one atomic set, so a reader holding the old snapshot keeps a consistent view. The store does
 * not know where updates come from: a local file and workload xDS feed the same {@link #apply} API.
 */
public final class WorkloadStore {

    private static final Logger log = LoggerFactory.getLogger(WorkloadStore.class);

    private final AtomicReference<StateSnapshot> current = new AtomicReference<>(StateSnapshot.empty());
    private final ReentrantLock writeLock = new ReentrantLock();
    private final List<Consumer<StateSnapshot>> listeners = new CopyOnWriteArrayList<>();

    /** The current snapshot. Lock-free. */
    public StateSnapshot snapshot() {
        return current.get();
    }

    /**
     * Applies a batch atomically and returns the snapshot it produced. Listeners are called afterwards, on this
     * thread.
     */
    public StateSnapshot apply(StateUpdate update) {
        StateSnapshot next;
        writeLock.lock();
        try {
            StateSnapshot previous = current.get();
            next = next(previous, update);
            current.set(next);
        } finally {
            writeLock.unlock();
        }
        log.debug("state updated: {}", next.summary());
        for (Consumer<StateSnapshot> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                log.warn("state listener failed", e);
            }
        }
        return next;
    }

    private static StateSnapshot next(StateSnapshot previous, StateUpdate update) {
        Map<String, Workload> workloads = update.replaceAll() ? new HashMap<>() : new HashMap<>(previous.workloadMap());
        Map<NamespacedHostname, Service> services =
                update.replaceAll() ? new HashMap<>() : new HashMap<>(previous.serviceMap());
        Map<String, Authorization> policies =
                update.replaceAll() ? new HashMap<>() : new HashMap<>(previous.policyMap());

        update.removedWorkloads().forEach(workloads::remove);
        update.removedServices().forEach(services::remove);
        update.removedPolicies().forEach(policies::remove);
        for (String name : update.removedAddresses()) {
            if (workloads.remove(name) == null) {
                removeServiceByName(services, name);
            }
        }

        update.workloads().forEach(w -> workloads.put(w.uid(), w));
        update.services().forEach(s -> services.put(s.key(), s));
        update.policies().forEach(p -> policies.put(p.key(), p));
        return StateSnapshot.build(previous.generation() + 1, workloads, services, policies);
    }

    private static void removeServiceByName(Map<NamespacedHostname, Service> services, String name) {
        try {
            services.remove(NamespacedHostname.parse(name));
        } catch (IllegalArgumentException notAServiceName) {
            log.debug("removal of unknown address {}", name);
        }
    }

    /** Makes the state exactly these resources. */
    public StateSnapshot replaceAll(
            Collection<Workload> workloads, Collection<Service> services, Collection<Authorization> policies) {
        return apply(StateUpdate.replaceAll(workloads, services, policies));
    }

    public StateSnapshot upsert(AddressResource resource) {
        return apply(StateUpdate.builder().upsert(resource).build());
    }

    public StateSnapshot upsert(Authorization policy) {
        return apply(StateUpdate.builder().upsert(policy).build());
    }

    public StateSnapshot removeWorkload(String uid) {
        return apply(StateUpdate.builder().removeWorkload(uid).build());
    }

    public StateSnapshot removeService(NamespacedHostname key) {
        return apply(StateUpdate.builder().removeService(key).build());
    }

    public StateSnapshot removePolicy(String key) {
        return apply(StateUpdate.builder().removePolicy(key).build());
    }

    /**
     * Calls the listener with every new snapshot (after it is published), e.g. to re-check open connections
     * against changed policies. Returns a handle that unsubscribes.
     */
    public Runnable subscribe(Consumer<StateSnapshot> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
