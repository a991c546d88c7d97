package io.ambientjava.ztunnel.proxy;

import io.ambientjava.ztunnel.certs.WorkloadCertificates;
import io.ambientjava.ztunnel.dns.HostnameResolver;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.state.lb.RoundRobinPicker;
import java.util.Objects;

/**
 * What every proxy of a ztunnel shares: state, certificates, connection tracking, load balancing, settings, and the
 * resolver for endpoints known only by name.
 */
public record ProxyContext(
        WorkloadStore store,
        WorkloadCertificates certificates,
        ConnectionTracker tracker,
        RoundRobinPicker picker,
        ProxySettings settings,
        HostnameResolver hostnames) {

    public ProxyContext {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(certificates, "certificates");
        Objects.requireNonNull(tracker, "tracker");
        Objects.requireNonNull(picker, "picker");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(hostnames, "hostnames");
    }
}
