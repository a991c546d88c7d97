package io.ambientjava.istiod.server;

import io.ambientjava.istiod.ca.CallerAuthenticationException;
import io.ambientjava.istiod.ca.CallerAuthenticator;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Locale;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits xDS clients on the TLS port only when they prove who they are, as istiod does on 15012: a client
 * certificate that verified against the mesh roots during the handshake, or a bearer token the
 * {@link CallerAuthenticator} accepts. Others are refused with UNAUTHENTICATED before their stream starts.
 */
final class XdsClientAuthentication implements ServerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(XdsClientAuthentication.class);
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final CallerAuthenticator authenticator;

    XdsClientAuthentication(CallerAuthenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (hasVerifiedClientCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION))) {
            return next.startCall(call, headers);
        }
        String header = headers.get(AUTHORIZATION);
        String reason;
        if (header == null || !header.toLowerCase(Locale.ROOT).startsWith("bearer ")) {
            reason = "xDS on the TLS port needs a mesh client certificate or an 'authorization: Bearer' token";
        } else {
            try {
                authenticator.authenticate(header.substring(7).strip());
                return next.startCall(call, headers);
            } catch (CallerAuthenticationException e) {
                reason = "xDS client authentication failed: " + e.getMessage();
            }
        }
        log.warn("refused xDS client {}: {}", call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), reason);
        call.close(Status.UNAUTHENTICATED.withDescription(reason), new Metadata());
        return new ServerCall.Listener<>() {};
    }

    private static boolean hasVerifiedClientCertificate(SSLSession session) {
        if (session == null) {
            return false;
        }
        try {
            return session.getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }
}
