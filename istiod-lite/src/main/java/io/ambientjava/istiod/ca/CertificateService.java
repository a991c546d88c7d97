package io.ambientjava.istiod.ca;

import com.google.protobuf.Value;
import io.ambientjava.api.ca.IstioCertificateRequest;
import io.ambientjava.api.ca.IstioCertificateResponse;
import io.ambientjava.api.ca.IstioCertificateServiceGrpc;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.ca.CertificateRequestException;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.v1.auth.IstioCertificateService/CreateCertificate}: signs a workload's CSR with the mesh CA.
 *
 * <ul>
 *   <li>The caller is authenticated by its bearer token ({@link BearerTokens}); none, unknown or expired →
 *       UNAUTHENTICATED.
 *   <li>By default the certificate is for the caller's own identity. With {@code metadata.ImpersonatedIdentity}
 *       (a SPIFFE URI) a node agent asks for a workload's identity; {@link NodeAuthorizer} decides, refusals →
 *       PERMISSION_DENIED.
 *   <li>A malformed request (empty or unreadable CSR, a CSR for another identity, negative validity, a malformed
 *       impersonated identity) → INVALID_ARGUMENT naming the problem.
 *   <li>{@code validity_duration} (seconds) is honoured up to the CA's maximum; 0 means the default (24 h).
 * </ul>
 *
 * The response chain is leaf first, root last, one PEM certificate per entry, as ztunnel expects. Every decision is
 * logged with the caller and its address.
 */
public final class CertificateService extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {

    /** The request metadata key ztunnel uses for the identity it asks for on a workload's behalf. */
    public static final String IMPERSONATED_IDENTITY = "ImpersonatedIdentity";

    private static final Logger log = LoggerFactory.getLogger(CertificateService.class);

    private final MeshCertificateAuthority ca;
    private final CallerAuthenticator authenticator;
    private final NodeAuthorizer nodeAuthorizer;
    private final MeterRegistry registry;

    public CertificateService(
            MeshCertificateAuthority ca,
            CallerAuthenticator authenticator,
            NodeAuthorizer nodeAuthorizer,
            MeterRegistry registry) {
        this.ca = Objects.requireNonNull(ca, "ca");
        this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
        this.nodeAuthorizer = Objects.requireNonNull(nodeAuthorizer, "nodeAuthorizer");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public void createCertificate(IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
        registry.counter("citadel_server_csr_count").increment();
        String peer = BearerTokens.PEER.get();
        Caller caller;
        try {
            caller = authenticator.authenticate(BearerTokens.TOKEN.get());
        } catch (CallerAuthenticationException e) {
            registry.counter("citadel_server_authentication_failure_count").increment();
            refuse(response, Status.UNAUTHENTICATED, "authentication failed: " + e.getMessage(), peer, "?");
            return;
        }
        SpiffeId identity = caller.identity();
        Optional<String> impersonated = impersonatedIdentity(request);
        if (impersonated.isPresent()) {
            SpiffeId requested;
            try {
                requested = SpiffeId.parse(impersonated.get());
            } catch (IllegalArgumentException e) {
                refuse(response, Status.INVALID_ARGUMENT, IMPERSONATED_IDENTITY + ": " + e.getMessage(), peer, caller);
                return;
            }
            Optional<String> refusal = nodeAuthorizer.checkImpersonation(caller, requested);
            if (refusal.isPresent()) {
                registry.counter("citadel_server_authorization_failure_count").increment();
                refuse(
                        response,
                        Status.PERMISSION_DENIED,
                        "may not obtain a certificate for " + requested + ": " + refusal.get(),
                        peer,
                        caller);
                return;
            }
            identity = requested;
        }
        if (request.getValidityDuration() < 0) {
            refuse(
                    response,
                    Status.INVALID_ARGUMENT,
                    "validity_duration must not be negative: " + request.getValidityDuration(),
                    peer,
                    caller);
            return;
        }
        if (request.getCsr().isBlank()) {
            refuse(
                    response,
                    Status.INVALID_ARGUMENT,
                    "csr is empty; a PEM certificate request is required",
                    peer,
                    caller);
            return;
        }
        List<X509Certificate> chain;
        try {
            chain = ca.sign(request.getCsr(), identity, Duration.ofSeconds(request.getValidityDuration()));
        } catch (CertificateRequestException | IllegalArgumentException e) {
            registry.counter("citadel_server_csr_parsing_err_count").increment();
            refuse(response, Status.INVALID_ARGUMENT, "csr refused: " + e.getMessage(), peer, caller);
            return;
        } catch (RuntimeException e) {
            log.error("CA failed signing for {} (caller {})", identity, caller, e);
            response.onError(Status.INTERNAL
                    .withDescription("the CA failed to sign: " + e.getMessage())
                    .asRuntimeException());
            return;
        }
        IstioCertificateResponse.Builder reply = IstioCertificateResponse.newBuilder();
        for (X509Certificate certificate : chain) {
            reply.addCertChain(Pem.writeCertificate(certificate));
        }
        registry.counter("citadel_server_success_cert_issuance_count").increment();
        log.info(
                "issued certificate for {} to {} from {} (valid until {})",
                identity,
                caller,
                peer,
                chain.getFirst().getNotAfter().toInstant());
        response.onNext(reply.build());
        response.onCompleted();
    }

    private static Optional<String> impersonatedIdentity(IstioCertificateRequest request) {
        if (!request.hasMetadata()) {
            return Optional.empty();
        }
        Value value = request.getMetadata().getFieldsMap().get(IMPERSONATED_IDENTITY);
        if (value == null || value.getStringValue().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(value.getStringValue());
    }

    private static void refuse(
            StreamObserver<IstioCertificateResponse> response,
            Status status,
            String reason,
            String peer,
            Object caller) {
        log.warn("CSR from {} (caller {}) refused with {}: {}", peer, caller, status.getCode(), reason);
        response.onError(status.withDescription(reason).asRuntimeException());
    }
}
