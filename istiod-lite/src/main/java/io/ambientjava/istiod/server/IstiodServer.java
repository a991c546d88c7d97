package io.ambientjava.istiod.server;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.istiod.ca.BearerTokens;
import io.ambientjava.istiod.ca.CallerAuthenticationException;
import io.ambientjava.istiod.ca.CallerAuthenticator;
import io.ambientjava.istiod.ca.CertificateService;
import io.ambientjava.istiod.ca.NodeAuthorizer;
import io.ambientjava.istiod.config.ConfigSource;
import io.ambientjava.istiod.translate.AmbientTranslator;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.xds.DeltaAdsService;
import io.ambientjava.istiod.xds.XdsCache;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * istiod-lite's gRPC front: the Delta ADS service (workload xDS) and the CA service, on a plaintext port bound to
 * loopback (Istio's 15010) and optionally a TLS port (Istio's 15012) whose serving certificate the mesh CA issues
 * for {@code spiffe://<td>/ns/istio-system/sa/istiod}. On the TLS port xDS clients must present a mesh client
 * certificate or a bearer token ({@link XdsClientAuthentication}); the loopback port trusts the local machine, as
 * istiod's 15010 does. Callers of the CA always authenticate with bearer tokens.
 */
public final class IstiodServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IstiodServer.class);

    /** Refuses every caller: used when no token source is configured. */
    private static final CallerAuthenticator NO_CALLERS = token -> {
        throw new CallerAuthenticationException("this istiod-lite has no token source configured (--token-file)");
    };

    private final XdsCache cache;
    private final TranslationPipeline pipeline;
    private final DeltaAdsService ads;
    private final Server plaintext;
    private final Server tls;
    private final WorkloadCertificate servingCertificate;

    private IstiodServer(Builder builder) throws IOException {
        MeshSettings settings = builder.settings;
        this.cache = new XdsCache();
        this.pipeline = new TranslationPipeline(
                        builder.source, new AmbientTranslator(settings, builder.telemetry), cache, builder.debounce)
                .start();
        this.ads = new DeltaAdsService(cache, builder.registry);
        CertificateService certificates = new CertificateService(
                builder.ca,
                builder.authenticator,
                new NodeAuthorizer(builder.trustedNodeAccounts, builder.source::current),
                builder.registry);
        var certificateService = ServerInterceptors.intercept(certificates, new BearerTokens());
        this.servingCertificate = builder.ca.issue(
                new SpiffeId(builder.ca.trustDomain(), "istio-system", "istiod"),
                builder.servingHostNames,
                Duration.ofDays(365));
        Server started = null;
        try {
            started = NettyServerBuilder.forAddress(builder.xdsAddress)
                    .addService(ads)
                    .addService(certificateService)
                    .build()
                    .start();
            this.tls = builder.tlsAddress == null
                    ? null
                    : NettyServerBuilder.forAddress(builder.tlsAddress)
                            .sslContext(serverTls(servingCertificate, builder.ca))
                            .addService(ServerInterceptors.intercept(
                                    ads, new XdsClientAuthentication(builder.authenticator)))
                            .addService(certificateService)
                            .build()
                            .start();
        } catch (IOException | RuntimeException e) {
            pipeline.close();
            if (started != null) {
                started.shutdownNow();
            }
            throw e;
        }
        this.plaintext = started;
        log.info(
                "istiod-lite serving xDS and CA on {} (plaintext){}",
                plaintext.getListenSockets(),
                tls == null ? "" : " and " + tls.getListenSockets() + " (TLS)");
    }

    public static Builder builder(ConfigSource source, MeshCertificateAuthority ca) {
        return new Builder(source, ca);
    }

    private static SslContext serverTls(WorkloadCertificate certificate, MeshCertificateAuthority ca) {
        try {
            return GrpcSslContexts.configure(
                            SslContextBuilder.forServer(
                                    certificate.privateKey(),
                                    certificate.chain().toArray(X509Certificate[]::new)),
                            SslProvider.OPENSSL)
                    .clientAuth(ClientAuth.OPTIONAL)
                    .trustManager(ca.trustBundle().roots().toArray(X509Certificate[]::new))
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the TLS context for the xDS/CA port", e);
        }
    }

    public int xdsPort() {
        return ((InetSocketAddress) plaintext.getListenSockets().getFirst()).getPort();
    }

    public Optional<Integer> tlsPort() {
        return tls == null
                ? Optional.empty()
                : Optional.of(((InetSocketAddress) tls.getListenSockets().getFirst()).getPort());
    }

    public XdsCache cache() {
        return cache;
    }

    public DeltaAdsService ads() {
        return ads;
    }

    public TranslationPipeline pipeline() {
        return pipeline;
    }

    /** The certificate the TLS port presents. */
    public WorkloadCertificate servingCertificate() {
        return servingCertificate;
    }

    public void awaitTermination() throws InterruptedException {
        plaintext.awaitTermination();
    }

    @Override
    public void close() {
        pipeline.close();
        for (Server server : tls == null ? new Server[] {plaintext} : new Server[] {plaintext, tls}) {
            server.shutdown();
        }
        try {
            if (!plaintext.awaitTermination(5, TimeUnit.SECONDS)) {
                plaintext.shutdownNow();
            }
            if (tls != null && !tls.awaitTermination(5, TimeUnit.SECONDS)) {
                tls.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            plaintext.shutdownNow();
            if (tls != null) {
                tls.shutdownNow();
            }
        }
    }

    /** How to run istiod-lite; everything but the source and the CA has a default. */
    public static final class Builder {
        private final ConfigSource source;
        private final MeshCertificateAuthority ca;
        private MeshSettings settings;
        private io.ambientjava.istiod.translate.MeshTelemetry telemetry =
                io.ambientjava.istiod.translate.MeshTelemetry.defaults();
        private CallerAuthenticator authenticator = NO_CALLERS;
        private Set<String> trustedNodeAccounts = NodeAuthorizer.DEFAULT_TRUSTED_ACCOUNTS;
        private InetSocketAddress xdsAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), 15010);
        private InetSocketAddress tlsAddress;
        private Duration debounce = Duration.ofMillis(100);
        private MeterRegistry registry = new SimpleMeterRegistry();
        private List<String> servingHostNames = List.of("istiod.istio-system.svc");

        private Builder(ConfigSource source, MeshCertificateAuthority ca) {
            this.source = Objects.requireNonNull(source, "source");
            this.ca = Objects.requireNonNull(ca, "ca");
            this.settings = MeshSettings.defaults().withTrustDomain(ca.trustDomain());
        }

        /** The mesh config's telemetry providers and defaults (Istio's MeshConfig extensionProviders & co). */
        public Builder meshTelemetry(io.ambientjava.istiod.translate.MeshTelemetry telemetry) {
            this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
            return this;
        }

        public Builder settings(MeshSettings settings) {
            if (!settings.trustDomain().equals(ca.trustDomain())) {
                throw new IllegalArgumentException(
                        "trust domain " + settings.trustDomain() + " differs from the CA's " + ca.trustDomain());
            }
            this.settings = settings;
            return this;
        }

        public Builder authenticator(CallerAuthenticator authenticator) {
            this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
            return this;
        }

        public Builder trustedNodeAccounts(Set<String> accounts) {
            this.trustedNodeAccounts = Set.copyOf(accounts);
            return this;
        }

        /** Plaintext port on loopback; 0 picks a free one. */
        public Builder xdsPort(int port) {
            this.xdsAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            return this;
        }

        /** Also serve over TLS at this address. */
        public Builder tlsAddress(InetSocketAddress address) {
            this.tlsAddress = address;
            return this;
        }

        /**
         * The DNS names the TLS port's certificate carries besides istiod's SPIFFE ID (default
         * {@code istiod.istio-system.svc}): Istio's ztunnel and proxies reach istiod by that name and check it.
         */
        public Builder servingHostNames(List<String> names) {
            this.servingHostNames = List.copyOf(names);
            return this;
        }

        public Builder debounce(Duration debounce) {
            this.debounce = Objects.requireNonNull(debounce, "debounce");
            return this;
        }

        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        public IstiodServer start() {
            try {
                return new IstiodServer(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the gRPC server: " + e.getMessage(), e);
            }
        }
    }
}
