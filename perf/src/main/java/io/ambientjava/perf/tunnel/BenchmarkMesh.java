package io.ambientjava.perf.tunnel;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.tls.MeshTls;

/**
 * A throwaway mesh for one tunnel process: a self-signed CA and one workload identity for each tunnel end, the
 * way two ztunnels would each hold the identity of the pods they serve.
 */
record BenchmarkMesh(MeshCertificateAuthority ca, WorkloadCertificate entry, WorkloadCertificate exit) {

    static final String TRUST_DOMAIN = "cluster.local";
    static final SpiffeId ENTRY_ID = new SpiffeId(TRUST_DOMAIN, "perf", "load-generator");
    static final SpiffeId EXIT_ID = new SpiffeId(TRUST_DOMAIN, "perf", "echo-server");

    static BenchmarkMesh create() {
        MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned(TRUST_DOMAIN);
        return new BenchmarkMesh(ca, ca.issue(ENTRY_ID), ca.issue(EXIT_ID));
    }

    /** The identity module's mTLS contexts (BoringSSL, TLS 1.3), used as they are by the TLS baseline. */
    TunnelTls tls() {
        return new TunnelTls(
                MeshTls.clientContext(entry, ca.trustBundle()), MeshTls.serverContext(exit, ca.trustBundle()));
    }
}
