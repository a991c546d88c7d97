package io.ambientjava.identity.tls;

import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.WorkloadCertificate;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * Netty TLS contexts for mesh mTLS (HBONE): TLS 1.3 only, ALPN {@code h2}, both sides present their
 * workload certificate, and each verifies the other's chain against the trust bundle (signature, path
 * and validity period). Host names are not checked: the mesh identity is the SPIFFE ID in the URI SAN,
 * read with {@link PeerIdentity} after the handshake. Always BoringSSL through netty-tcnative; if it
 * cannot be loaded the call fails with the reason rather than quietly using the JDK's TLS.
 *
 * <h2>Using it from HBONE</h2>
 *
 * <pre>{@code
 * SslContext tls = MeshTls.serverContext(cert, bundle);        // build once per certificate; rebuild on rotation
 * pipeline.addLast(tls.newHandler(channel.alloc()));           // first in the pipeline
 * pipeline.addLast(new ChannelInboundHandlerAdapter() {
 *     public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
 *         if (evt instanceof SslHandshakeCompletionEvent done) {
 *             if (!done.isSuccess()) { ctx.close(); return; }  // untrusted, expired, wrong CA: already failed
 *             SslHandler ssl = ctx.pipeline().get(SslHandler.class);
 *             MeshTls.requireH2(ssl);                           // a peer that did not offer h2 is refused here
 *             SpiffeId peer = PeerIdentity.of(ssl.engine().getSession());
 *             // server: authorize `peer`; client: PeerIdentity.verify(session, expectedServerIds)
 *             // then add the HTTP/2 codec
 *         }
 *         ctx.fireUserEventTriggered(evt);
 *     }
 * });
 * }</pre>
 *
 * <p>The server's ALPN selector uses NO_ADVERTISE semantics (tcnative offers no fatal-alert mode): a
 * client that does not offer {@code h2} completes the TLS handshake with no protocol selected, and
 * {@link #requireH2} is what refuses it. A client talking to a server without {@code h2} likewise sees
 * no protocol. SslContexts are immutable and shared by all connections; make one per workload
 * certificate and build a new one when the certificate rotates (old connections keep the old one).
 */
public final class MeshTls {

    public static final String ALPN_H2 = ApplicationProtocolNames.HTTP_2;
    public static final String TLS_V1_3 = "TLSv1.3";

    private static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
            Protocol.ALPN, SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT, ALPN_H2);

    private MeshTls() {}

    /** The server side of HBONE: presents {@code cert}, requires and verifies a client certificate. */
    public static SslContext serverContext(WorkloadCertificate cert, TrustBundle bundle) {
        requireOpenSsl();
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(bundle, "bundle");
        return build(
                SslContextBuilder.forServer(cert.privateKey(), cert.chain()).clientAuth(ClientAuth.REQUIRE),
                cert,
                bundle);
    }

    /** The client side of HBONE: presents {@code cert} and verifies the server against {@code bundle}. */
    public static SslContext clientContext(WorkloadCertificate cert, TrustBundle bundle) {
        requireOpenSsl();
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(bundle, "bundle");
        return build(SslContextBuilder.forClient().keyManager(cert.privateKey(), cert.chain()), cert, bundle);
    }

    /**
     * Fails unless the handshake on {@code handler} negotiated ALPN {@code h2}.
     *
     * @throws ApplicationProtocolException naming the protocol that was negotiated instead (or none)
     */
    public static void requireH2(SslHandler handler) {
        String negotiated = handler.applicationProtocol();
        if (!ALPN_H2.equals(negotiated)) {
            throw new ApplicationProtocolException("peer did not negotiate ALPN " + ALPN_H2 + " (negotiated: "
                    + (negotiated == null ? "none" : negotiated) + ")");
        }
    }

    /**
     * Fails with the loading error when netty-tcnative's BoringSSL is not usable, or lacks TLS 1.3 or
     * ALPN; never degrade to the JDK provider.
     */
    public static void requireOpenSsl() {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException(
                    "netty-tcnative BoringSSL is not available; mesh TLS requires it", OpenSsl.unavailabilityCause());
        }
        if (!SslProvider.isTlsv13Supported(SslProvider.OPENSSL)) {
            throw new IllegalStateException("OpenSSL " + OpenSsl.versionString() + " does not support TLS 1.3");
        }
        if (!SslProvider.isAlpnSupported(SslProvider.OPENSSL)) {
            throw new IllegalStateException("OpenSSL " + OpenSsl.versionString() + " does not support ALPN");
        }
    }

    private static SslContext build(SslContextBuilder builder, WorkloadCertificate cert, TrustBundle bundle) {
        try {
            return builder.sslProvider(SslProvider.OPENSSL)
                    .protocols(TLS_V1_3)
                    .trustManager(bundle.roots())
                    // Mesh peers are named by their SPIFFE URI SAN, never by host name.
                    .endpointIdentificationAlgorithm(null)
                    .applicationProtocolConfig(ALPN)
                    .build();
        } catch (SSLException e) {
            throw new IllegalArgumentException(
                    "cannot build TLS context for " + cert.identity() + ": " + e.getMessage(), e);
        }
    }
}
