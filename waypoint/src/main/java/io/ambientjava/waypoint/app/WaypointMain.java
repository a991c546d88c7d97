package io.ambientjava.waypoint.app;

import io.ambientjava.hbone.client.ClientSecurity;
import io.ambientjava.hbone.server.ServerSecurity;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.manager.CertificateProvider;
import io.ambientjava.identity.manager.LocalCaCertificateProvider;
import io.ambientjava.identity.manager.WorkloadCertificateManager;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.waypoint.WaypointServer;
import io.ambientjava.waypoint.admin.ConfigDump;
import io.ambientjava.waypoint.admin.OpsServer;
import io.ambientjava.waypoint.proxy.ProxyLimits;
import io.ambientjava.waypoint.telemetry.AccessLog;
import io.ambientjava.waypoint.telemetry.IstioRequestMetrics;
import io.ambientjava.waypoint.telemetry.IstioTcpMetrics;
import io.ambientjava.waypoint.telemetry.WaypointTelemetry;
import io.ambientjava.waypoint.xds.AdsClient;
import io.ambientjava.waypoint.xds.NodeIdentity;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a waypoint (or, with {@code --ingress}, an ingress gateway) configured by istiod-lite over Delta ADS. */
@Command(
        name = "waypoint",
        mixinStandardHelpOptions = true,
        version = "waypoint 0.1.0",
        description = "The ambient mesh L7 proxy: HBONE in on 15008, Envoy xDS config, HBONE out.")
public final class WaypointMain implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(WaypointMain.class);

    @Option(
            names = "--xds-address",
            required = true,
            description = "istiod-lite's xDS address, host:port (e.g. 127.0.0.1:15010).")
    String xdsAddress;

    @Option(
            names = "--ca-address",
            description = "istiod-lite's CA address, host:port (default: the xDS address). "
                    + "Plaintext unless --istiod-root-cert is given.")
    String caAddress;

    @Option(
            names = "--istiod-root-cert",
            description = "PEM root that istiod-lite's TLS certificate chains to; enables TLS to xDS and CA.")
    Path istiodRootCert;

    @Option(
            names = "--token-file",
            description = "Bearer token sent to xDS and CA (a projected service account token).")
    Path tokenFile;

    @Option(
            names = "--ca-dir",
            description = "Issue the waypoint's certificate from this local CA (Istio cacerts layout: "
                    + "ca-cert.pem, ca-key.pem, optional cert-chain.pem, root-cert.pem) instead of asking istiod-lite.")
    Path caDir;

    @Option(
            names = "--trust-domain",
            defaultValue = "cluster.local",
            description = "Trust domain (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(
            names = "--namespace",
            defaultValue = "default",
            description = "The waypoint's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(
            names = "--service-account",
            defaultValue = "waypoint",
            description = "Its service account (default: ${DEFAULT-VALUE}).")
    String serviceAccount;

    @Option(
            names = "--gateway",
            defaultValue = "waypoint",
            description = "The Gateway it runs as: its name for a waypoint, "
                    + "<namespace>/<name> with --ingress (default: ${DEFAULT-VALUE}).")
    String gateway;

    @Option(names = "--pod-name", description = "Pod name (default: $POD_NAME, else the host name).")
    String podName;

    @Option(names = "--pod-ip", description = "Pod IP (default: $INSTANCE_IP, else 127.0.0.1).")
    String podIp;

    @Option(
            names = "--ingress",
            description = "Run as an ingress gateway: open plain listeners for the wildcard listeners in the config.")
    boolean ingress;

    @Option(
            names = "--hbone-address",
            defaultValue = "0.0.0.0:15008",
            description = "HBONE listen address (default: ${DEFAULT-VALUE}).")
    String hboneAddress;

    @Option(
            names = "--upstream-hbone-port",
            defaultValue = "15008",
            description = "HBONE port of the endpoints' ztunnels (default: ${DEFAULT-VALUE}).")
    int upstreamHbonePort;

    @Option(names = "--plaintext-hbone", description = "HBONE without TLS both ways (tests and benchmarks only).")
    boolean plaintextHbone;

    @Option(
            names = "--metrics-port",
            defaultValue = "15020",
            description = "Prometheus metrics port (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(
            names = "--readiness-port",
            defaultValue = "15021",
            description = "Readiness port (default: ${DEFAULT-VALUE}).")
    int readinessPort;

    @Option(
            names = "--admin-port",
            defaultValue = "15000",
            description = "Admin port, localhost only (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(
            names = "--worker-threads",
            defaultValue = "2",
            description = "Event loop threads (default: ${DEFAULT-VALUE}).")
    int workerThreads;

    @Option(
            names = "--stream-idle-timeout",
            defaultValue = "5m",
            description = "A request whose client sends none of its due body for this long gets 408 and its"
                    + " upstream exchange is released (Envoy's stream_idle_timeout; default: ${DEFAULT-VALUE}).")
    String streamIdleTimeout;

    @Option(
            names = "--request-timeout",
            defaultValue = "0s",
            description = "The whole request must arrive within this, else 408; 0s disables it (Envoy's"
                    + " request_timeout; default: ${DEFAULT-VALUE}).")
    String requestTimeout;

    @Option(
            names = "--trace-flush-interval",
            defaultValue = "1s",
            description = "How long finished spans wait to be exported in one batch (default: ${DEFAULT-VALUE}).")
    String traceFlushInterval;

    @Option(
            names = "--idle-timeout",
            defaultValue = "1h",
            description = "A client connection with no traffic for this long is closed (default: ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(
            names = "--dns-upstream",
            split = ",",
            paramLabel = "HOST:PORT",
            description = "DNS servers, tried in order, that resolve the names of STRICT_DNS and LOGICAL_DNS clusters"
                    + " (egress to hosts outside the mesh); [v6]:port for IPv6. Default: the nameserver lines of"
                    + " /etc/resolv.conf, port 53, read once at start. No search domain is appended.")
    List<String> dnsUpstream;

    /** Counted down when everything listens; {@link #stop} ends {@link #call()} (tests run it in-process). */
    final CountDownLatch started = new CountDownLatch(1);

    final CountDownLatch stop = new CountDownLatch(1);

    public static void main(String[] args) {
        // Netty registers JFR event types for its allocator when JFR is present: over 100 classes and a megabyte of
        // annotation metadata in every waypoint, for events nobody records. -Dio.netty.jfr.enabled=true restores them.
        if (System.getProperty("io.netty.jfr.enabled") == null) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
        System.exit(new CommandLine(new WaypointMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String pod = Optional.ofNullable(podName)
                .or(() -> Optional.ofNullable(System.getenv("POD_NAME")))
                .orElse(InetAddress.getLocalHost().getHostName());
        String ip = Optional.ofNullable(podIp)
                .or(() -> Optional.ofNullable(System.getenv("INSTANCE_IP")))
                .orElse("127.0.0.1");
        SpiffeId identity = SpiffeId.parse("spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount);
        List<InetSocketAddress> dns = dnsUpstreams();
        List<AutoCloseable> resources = new ArrayList<>();
        Optional<Path> root = Optional.ofNullable(istiodRootCert);
        CallCredentials credentials = tokenFile == null ? null : ControlPlane.bearer(tokenFile, "Kubernetes");
        ManagedChannel xds = ControlPlane.channel(xdsAddress, root);
        resources.add(xds::shutdownNow);
        try {
            ServerSecurity serverSecurity;
            ClientSecurity clientSecurity;
            if (plaintextHbone) {
                serverSecurity = ServerSecurity.plaintext();
                clientSecurity = ClientSecurity.plaintext();
            } else {
                WorkloadCertificateManager certificates =
                        WorkloadCertificateManager.create(provider(root, credentials, resources));
                resources.add(certificates);
                certificates.certificateFor(identity).join();
                log.info("certificate for {} obtained", identity);
                TlsContexts tls = new TlsContexts(certificates, identity);
                serverSecurity = ServerSecurity.mutualTls(tls.server());
                clientSecurity = ClientSecurity.mutualTls(identity, tls.client());
            }
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
            new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
            new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
            new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
            var serverRef = new java.util.concurrent.atomic.AtomicReference<WaypointServer>();
            // spans carry the proxy's service cluster as Envoy's do: <gateway name>.<namespace>
            String spanService =
                    (gateway.contains("/") ? gateway.substring(gateway.indexOf('/') + 1) : gateway) + "." + namespace;
            // Access logs, configured and default, reach stdout in batches every 100 ms (Envoy flushes its files
            // every second) rather than a write and a thread wake-up per request.
            var accessLogs = new io.ambientjava.waypoint.telemetry.AccessLogWriter(System.out, Duration.ofMillis(100));
            WaypointTelemetry telemetry = new WaypointTelemetry(
                    new IstioRequestMetrics(registry),
                    accessLogs,
                    new io.ambientjava.waypoint.tracing.WaypointTracing(
                            spanService,
                            cluster -> Optional.ofNullable(serverRef.get())
                                    .flatMap(s -> s.runtime().config().endpointsOf(cluster).stream()
                                            .findFirst()
                                            .map(io.ambientjava.waypoint.config.EndpointConfig::address)),
                            duration("--trace-flush-interval", traceFlushInterval)),
                    new AccessLog(line -> accessLogs.write("/dev/stdout", line)));
            resources.add(telemetry);
            WaypointServer server = WaypointServer.start(
                    new WaypointServer.Settings(
                            hostPort(hboneAddress),
                            upstreamHbonePort,
                            serverSecurity,
                            clientSecurity,
                            ProxyLimits.defaults()
                                    .withStreamIdleTimeout(duration("--stream-idle-timeout", streamIdleTimeout))
                                    .withRequestTimeout(duration("--request-timeout", requestTimeout))
                                    .withConnectionIdleTimeout(duration("--idle-timeout", idleTimeout)),
                            workerThreads,
                            ingress,
                            "0.0.0.0",
                            dns),
                    telemetry,
                    new IstioTcpMetrics(registry));
            resources.add(server);
            serverRef.set(server);
            AtomicBoolean configured = new AtomicBoolean();
            NodeIdentity node = new NodeIdentity(ingress, ip, pod, namespace, serviceAccount, gateway);
            AdsClient ads = new AdsClient(xds, credentials, node, config -> {
                server.apply(config);
                configured.set(true);
            });
            resources.add(ads);
            ads.start();
            resources.add(new OpsServer(
                    new InetSocketAddress(metricsPort),
                    Map.of(
                            "/stats/prometheus",
                                    () -> new OpsServer.Page("text/plain; version=0.0.4", registry.scrape()),
                            "/metrics", () -> new OpsServer.Page("text/plain; version=0.0.4", registry.scrape()))));
            resources.add(new OpsServer(
                    new InetSocketAddress(readinessPort),
                    Map.of(
                            "/healthz/ready",
                            () -> configured.get() ? new OpsServer.Page("text/plain", "ready\n") : null)));
            resources.add(new OpsServer(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), adminPort),
                    Map.of(
                            "/config_dump",
                            () -> new OpsServer.Page(
                                    "application/json",
                                    ConfigDump.json(
                                            server.runtime().config(),
                                            server.runtime().clusters(),
                                            ads.acks(),
                                            ads.nacks(),
                                            ads.lastNack())))));
            log.info(
                    "waypoint {} up: HBONE {}, xDS {}, metrics :{}, readiness :{}, admin 127.0.0.1:{}",
                    node.id(),
                    plaintextHbone ? "plaintext" : "mTLS as " + identity,
                    xdsAddress,
                    metricsPort,
                    readinessPort,
                    adminPort);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "shutdown"));
            started.countDown();
            stop.await();
            return 0;
        } finally {
            for (AutoCloseable r : resources.reversed()) {
                try {
                    r.close();
                } catch (Exception e) {
                    log.debug("closing {}: {}", r, e.toString());
                }
            }
        }
    }

    /** {@code --dns-upstream}, else the host's resolv.conf nameservers; logged, with a warning when there are none. */
    private List<InetSocketAddress> dnsUpstreams() throws java.io.IOException {
        if (dnsUpstream != null && !dnsUpstream.isEmpty()) {
            List<InetSocketAddress> given = DnsUpstreams.parse(dnsUpstream);
            log.info("DNS clusters are resolved with {} (--dns-upstream)", given);
            return given;
        }
        List<InetSocketAddress> host = DnsUpstreams.fromResolvConf(DnsUpstreams.RESOLV_CONF);
        if (host.isEmpty()) {
            log.warn(
                    "no --dns-upstream and no nameserver in {}: STRICT_DNS and LOGICAL_DNS clusters will get no"
                            + " endpoints from names",
                    DnsUpstreams.RESOLV_CONF);
        } else {
            log.info("DNS clusters are resolved with {} (from {})", host, DnsUpstreams.RESOLV_CONF);
        }
        return host;
    }

    private CertificateProvider provider(
            Optional<Path> root, CallCredentials credentials, List<AutoCloseable> resources) throws Exception {
        if (caDir != null) {
            Path chain = caDir.resolve("cert-chain.pem");
            Path rootCert = caDir.resolve("root-cert.pem");
            MeshCertificateAuthority ca = MeshCertificateAuthority.fromPem(
                    caDir.resolve("ca-cert.pem"),
                    caDir.resolve("ca-key.pem"),
                    Files.isRegularFile(chain) ? chain : null,
                    Files.isRegularFile(rootCert) ? rootCert : null,
                    trustDomain);
            return new LocalCaCertificateProvider(ca);
        }
        ManagedChannel caChannel = ControlPlane.channel(caAddress == null ? xdsAddress : caAddress, root);
        resources.add(caChannel::shutdownNow);
        TrustBundle fixed =
                root.map(p -> new TrustBundle(Pem.readCertificates(p))).orElse(null);
        IstiodCaProvider provider = new IstiodCaProvider(caChannel, credentials, Duration.ofHours(24), fixed);
        resources.add(provider);
        return provider;
    }

    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
    static Duration duration(String option, String value) {
        var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(value.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    option + " '" + value + "' must be a number with ms, s, m or h (e.g. 30s)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    static InetSocketAddress hostPort(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("'" + value + "' must be host:port");
        }
        return new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
    }
}
