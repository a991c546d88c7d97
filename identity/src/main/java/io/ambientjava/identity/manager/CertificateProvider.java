package io.ambientjava.identity.manager;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import java.util.concurrent.CompletableFuture;

/**
 * Where workload certificates come from: the in-process mesh CA ({@link LocalCaCertificateProvider}) or a
 * remote CA such as istiod's {@code CreateCertificate} service.
 */
public interface CertificateProvider {

    /**
     * A new certificate for {@code identity}. The future may complete on any thread; it must not be
     * completed on a Netty event loop by blocking work.
     */
    CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity);

    /** The roots that verify certificates of this provider's mesh. */
    TrustBundle trustBundle();
}
