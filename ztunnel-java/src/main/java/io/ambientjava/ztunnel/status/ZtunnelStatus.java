package io.ambientjava.ztunnel.status;

import io.ambientjava.ztunnel.state.StateSnapshot;
import java.util.List;

/**
 * What the operations side (admin pages, readiness, health gauges) reads from a running ztunnel. Implementations
 * answer from memory without blocking for long; every method may be called from any thread, often.
 */
public interface ZtunnelStatus {

    /** The node this ztunnel serves. */
    String nodeName();

    /** The mesh trust domain. */
    String trustDomain();

    /** The current workload/service/policy state. */
    StateSnapshot snapshot();

    /** The workload certificates held now, by identity. */
    List<CertificateStatus> certificates();

    /** The connections open now. */
    List<ActiveConnection> connections();

    /** The pods this ztunnel proxies for. */
    List<PodStatus> pods();

    /** Whether the proxy serves traffic (its listeners are up and it has what it needs). */
    Readiness readiness();
}
