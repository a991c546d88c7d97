package io.ambientjava.hbone.testsupport;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.tls.MeshTls;
import io.netty.handler.ssl.SslContext;

/** A mesh CA for tests, with helpers for workload TLS contexts. One per JVM; another one for "foreign CA" tests. */
public final class TestPki {

    public static final String TRUST_DOMAIN = "cluster.local";
    public static final SpiffeId CLIENT = new SpiffeId(TRUST_DOMAIN, "ns-a", "client");
    public static final SpiffeId SERVER = new SpiffeId(TRUST_DOMAIN, "ns-b", "server");

    private static final TestPki MESH = new TestPki(MeshCertificateAuthority.createSelfSigned(TRUST_DOMAIN));

    private final MeshCertificateAuthority ca;

    private TestPki(MeshCertificateAuthority ca) {
        this.ca = ca;
    }

    /** The mesh everyone trusts in these tests. */
    public static TestPki mesh() {
        return MESH;
    }

    /** A separate CA with the same trust domain name: its certificates must not be accepted by the mesh. */
    public static TestPki foreign() {
        return new TestPki(MeshCertificateAuthority.createSelfSigned(TRUST_DOMAIN));
    }

    public WorkloadCertificate issue(SpiffeId id) {
        return ca.issue(id);
    }

    public SslContext serverContext(SpiffeId id) {
        return MeshTls.serverContext(ca.issue(id), ca.trustBundle());
    }

    public SslContext clientContext(SpiffeId id) {
        return MeshTls.clientContext(ca.issue(id), ca.trustBundle());
    }

    public MeshCertificateAuthority ca() {
        return ca;
    }
}
