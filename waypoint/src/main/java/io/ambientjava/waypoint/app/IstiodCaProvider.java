package io.ambientjava.waypoint.app;

import com.google.protobuf.Struct;
import io.ambientjava.api.ca.IstioCertificateRequest;
import io.ambientjava.api.ca.IstioCertificateResponse;
import io.ambientjava.api.ca.IstioCertificateServiceGrpc;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.csr.CsrGenerator;
import io.ambientjava.identity.csr.GeneratedCsr;
import io.ambientjava.identity.manager.CertificateProvider;
import io.ambientjava.identity.pem.Pem;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The waypoint's own certificate from istiod-lite's CA ({@code istio.v1.auth.IstioCertificateService}): a fresh
 * P-256 key and CSR for its SPIFFE ID, the bearer token sent by the channel's credentials. The returned leaf must
 * name that ID and carry the new key; the trust bundle is the chain's root unless one was given.
 */
final class IstiodCaProvider implements CertificateProvider, AutoCloseable {

    private final Channel channel;
    private final Duration validity;
    private final AtomicReference<TrustBundle> roots = new AtomicReference<>();
    private final boolean fixedRoots;
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();

    private final io.grpc.CallCredentials credentials;

    /** @param credentials the bearer token (null: none, for a local plaintext istiod-lite) */
    IstiodCaProvider(Channel channel, io.grpc.CallCredentials credentials, Duration validity, TrustBundle fixed) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.credentials = credentials;
        this.validity = validity;
        this.fixedRoots = fixed != null;
        this.roots.set(fixed);
    }

    @Override
    public CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
        return CompletableFuture.supplyAsync(() -> request(identity), requests);
    }

    private WorkloadCertificate request(SpiffeId identity) {
        KeyPair keys = CsrGenerator.newP256KeyPair();
        GeneratedCsr csr = CsrGenerator.generate(identity, keys);
        IstioCertificateResponse response;
        try {
            var stub = IstioCertificateServiceGrpc.newBlockingStub(channel);
            if (credentials != null) {
                stub = stub.withCallCredentials(credentials);
            }
            response = stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .createCertificate(IstioCertificateRequest.newBuilder()
                            .setCsr(csr.csrPem())
                            .setValidityDuration(validity.toSeconds())
                            .setMetadata(Struct.getDefaultInstance())
                            .build());
        } catch (StatusRuntimeException e) {
            throw new IllegalStateException("the CA refused a certificate for " + identity + ": " + e.getStatus(), e);
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (String pem : response.getCertChainList()) {
            chain.addAll(Pem.readCertificates(pem));
        }
        if (chain.isEmpty()) {
            throw new IllegalStateException("the CA returned an empty chain for " + identity);
        }
        SpiffeId issued = SpiffeId.fromCertificate(chain.getFirst());
        if (!issued.equals(identity)) {
            throw new IllegalStateException("the CA issued " + issued + " instead of " + identity);
        }
        if (!chain.getFirst().getPublicKey().equals(keys.getPublic())) {
            throw new IllegalStateException("the CA's leaf does not carry the key of our CSR");
        }
        if (!fixedRoots && chain.size() > 1) {
            roots.set(new TrustBundle(List.of(chain.getLast())));
        }
        if (roots.get() == null) {
            throw new IllegalStateException("the CA returned no root and none was configured");
        }
        return new WorkloadCertificate(identity, csr.privateKey(), chain);
    }

    @Override
    public TrustBundle trustBundle() {
        TrustBundle bundle = roots.get();
        if (bundle == null) {
            throw new IllegalStateException("no trust bundle yet: no certificate was obtained");
        }
        return bundle;
    }

    @Override
    public void close() {
        requests.shutdownNow();
    }
}
