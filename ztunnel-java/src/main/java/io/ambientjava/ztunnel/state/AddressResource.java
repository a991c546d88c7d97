package io.ambientjava.ztunnel.state;

/** What an {@code istio.workload.Address} resource carries: a workload or a service. */
public sealed interface AddressResource permits Workload, Service {

    /** The xDS resource name: a workload's uid, or a service's {@code namespace/hostname}. */
    String resourceName();
}
