package io.ambientjava.ztunnel.caclient;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
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
import io.ambientjava.ztunnel.controlplane.BearerTokenFile;
import io.ambientjava.ztunnel.controlplane.ControlPlaneChannels;
import io.ambientjava.ztunnel.controlplane.ControlPlaneException;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workload certificates from istiod's CA ({@code istio.v1.auth.IstioCertificateService/CreateCertificate}), asked for
 * the way ztunnel asks: a new P-256 key and CSR per certificate, {@code authorization: Bearer <token>} with the token
 * read from a file on every call, and {@code metadata.ImpersonatedIdentity} set to the workload's SPIFFE ID, so the
 * CA issues it only for a pod of that service account on this node.
 *
 * <p>The reply is checked before use: the leaf must name exactly the SPIFFE ID asked for and carry the key just made.
 * The trust bundle is the root at the end of the returned chain (the latest one seen), unless roots were given.
 *
 * <p>Requests block on virtual threads; futures complete there, never on a Netty event loop.
 */
public final class IstiodCertificateProvider implements CertificateProvider, AutoCloseable {

    /** The request metadata key naming the identity a node agent asks for on a workload's behalf. */
    public static final String IMPERSONATED_IDENTITY = "ImpersonatedIdentity";

    private static final Logger log = LoggerFactory.getLogger(IstiodCertificateProvider.class);
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> CLUSTER_ID =
            Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER);

    private final CaClientSettings settings;
    private final ManagedChannel channel;
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicReference<TrustBundle> trustBundle = new AtomicReference<>();
    private final boolean fixedTrustBundle;

    private IstiodCertificateProvider(CaClientSettings settings, TrustBundle roots) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.channel = ControlPlaneChannels.open(settings.host(), settings.port(), settings.tls());
        this.fixedTrustBundle = roots != null;
        this.trustBundle.set(roots);
    }

    /** A provider learning the trust bundle from the CA's replies. */
    public static IstiodCertificateProvider create(CaClientSettings settings) {
        return new IstiodCertificateProvider(settings, null);
    }

    /** A provider with a given trust bundle (e.g. the mesh's {@code root-cert.pem}). */
    public static IstiodCertificateProvider create(CaClientSettings settings, TrustBundle roots) {
        return new IstiodCertificateProvider(settings, Objects.requireNonNull(roots, "roots"));
    }

    @Override
    public CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
        Objects.requireNonNull(identity, "identity");
        try {
            return CompletableFuture.supplyAsync(() -> request(identity), requests);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new CaRequestException("CA client is closed"));
        }
    }

    /**
     * The roots of the mesh.
     *
     * @throws IllegalStateException before any certificate was obtained, when no roots were given
     */
    @Override
    public TrustBundle trustBundle() {
        TrustBundle bundle = trustBundle.get();
        if (bundle == null) {
            throw new IllegalStateException(
                    "no trust bundle yet: no certificate has been obtained from the CA at " + settings.address());
        }
        return bundle;
    }

    private WorkloadCertificate request(SpiffeId identity) {
        String where = "CA at " + settings.address() + ", certificate for " + identity;
        String token;
        try {
            token = BearerTokenFile.read(settings.tokenFile());
        } catch (ControlPlaneException e) {
            throw new CaRequestException(e.getMessage(), e);
        }
        KeyPair keys = CsrGenerator.newP256KeyPair();
        GeneratedCsr csr = CsrGenerator.generate(identity, keys);
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        headers.put(CLUSTER_ID, settings.clusterId());
        IstioCertificateRequest request = IstioCertificateRequest.newBuilder()
                .setCsr(csr.csrPem())
                .setValidityDuration(settings.validity().toSeconds())
                .setMetadata(Struct.newBuilder()
                        .putFields(
                                IMPERSONATED_IDENTITY,
                                Value.newBuilder()
                                        .setStringValue(identity.toString())
                                        .build()))
                .build();
        IstioCertificateResponse response;
        try {
            response = IstioCertificateServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .createCertificate(request);
        } catch (StatusRuntimeException e) {
            String description = e.getStatus().getDescription();
            throw new CaRequestException(
                    where + " refused: " + e.getStatus().getCode() + (description == null ? "" : ": " + description),
                    e);
        }
        List<X509Certificate> chain = chain(response, where);
        X509Certificate leaf = chain.getFirst();
        SpiffeId issuedFor;
        try {
            issuedFor = SpiffeId.fromCertificate(leaf);
        } catch (IllegalArgumentException e) {
            throw new CaRequestException(where + ": the returned leaf has no valid SPIFFE ID: " + e.getMessage(), e);
        }
        if (!issuedFor.equals(identity)) {
            throw new CaRequestException(where + ": the CA returned a certificate for " + issuedFor + " instead");
        }
        if (!leaf.getPublicKey().equals(keys.getPublic())) {
            throw new CaRequestException(where + ": the returned leaf does not carry the key of our CSR");
        }
        if (!fixedTrustBundle && chain.size() > 1) {
            trustBundle.set(new TrustBundle(List.of(chain.getLast())));
        } else if (trustBundle.get() == null) {
            throw new CaRequestException(where + ": the CA returned no root and no trust bundle was configured");
        }
        log.info(
                "certificate for {} from {} (expires {})",
                identity,
                settings.address(),
                leaf.getNotAfter().toInstant());
        return new WorkloadCertificate(identity, csr.privateKey(), chain);
    }

    private static List<X509Certificate> chain(IstioCertificateResponse response, String where) {
        if (response.getCertChainCount() == 0) {
            throw new CaRequestException(where + ": the CA returned an empty cert_chain");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (int i = 0; i < response.getCertChainCount(); i++) {
            try {
                chain.addAll(Pem.readCertificates(response.getCertChain(i)));
            } catch (RuntimeException e) {
                throw new CaRequestException(
                        where + ": cert_chain[" + i + "] is not PEM certificates: " + e.getMessage(), e);
            }
        }
        if (chain.isEmpty()) {
            throw new CaRequestException(where + ": cert_chain holds no certificate");
        }
        return chain;
    }

    @Override
    public void close() {
        requests.shutdownNow();
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
