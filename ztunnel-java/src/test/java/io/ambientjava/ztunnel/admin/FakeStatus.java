package io.ambientjava.ztunnel.admin;

import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.status.ActiveConnection;
import io.ambientjava.ztunnel.status.CertificateStatus;
import io.ambientjava.ztunnel.status.PodStatus;
import io.ambientjava.ztunnel.status.Readiness;
import io.ambientjava.ztunnel.status.ZtunnelStatus;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A status whose parts tests set directly. */
public final class FakeStatus implements ZtunnelStatus {

    public final WorkloadStore store = new WorkloadStore();
    public final List<CertificateStatus> certificates = new CopyOnWriteArrayList<>();
    public final List<ActiveConnection> connections = new CopyOnWriteArrayList<>();
    public final List<PodStatus> pods = new CopyOnWriteArrayList<>();
    public volatile Readiness readiness = Readiness.notReady("starting");

    @Override
    public String nodeName() {
        return "node1";
    }

    @Override
    public String trustDomain() {
        return "cluster.local";
    }

    @Override
    public StateSnapshot snapshot() {
        return store.snapshot();
    }

    @Override
    public List<CertificateStatus> certificates() {
        return List.copyOf(certificates);
    }

    @Override
    public List<ActiveConnection> connections() {
        return List.copyOf(connections);
    }

    @Override
    public List<PodStatus> pods() {
        return List.copyOf(pods);
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }
}
