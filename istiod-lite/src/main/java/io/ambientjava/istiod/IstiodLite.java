package io.ambientjava.istiod;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import io.ambientjava.identity.pem.Pem;
import io.ambientjava.istiod.ca.CallerAuthenticator;
import io.ambientjava.istiod.ca.SelfSignedCaSecret;
import io.ambientjava.istiod.ca.TokenFileAuthenticator;
import io.ambientjava.istiod.ca.TokenReviewAuthenticator;
import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ConfigSource;
import io.ambientjava.istiod.config.IpPrefix;
import io.ambientjava.istiod.config.kubernetes.KubernetesConnection;
import io.ambientjava.istiod.config.kubernetes.KubernetesSource;
import io.ambientjava.istiod.config.local.LocalFolderSource;
import io.ambientjava.istiod.deploy.ControllerElection;
import io.ambientjava.istiod.deploy.ReconcileLoop;
import io.ambientjava.istiod.deploy.RootCertificatePublisher;
import io.ambientjava.istiod.deploy.WaypointDeployments;
import io.ambientjava.istiod.deploy.WaypointTemplate;
import io.ambientjava.istiod.deploy.WebhookCaBundlePatcher;
import io.ambientjava.istiod.server.IstiodServer;
import io.ambientjava.istiod.server.MonitoringServer;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.webhook.WebhookServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs istiod-lite on a local folder of Kubernetes and Istio YAML or on a Kubernetes API server: workload xDS and
 * the mesh CA over gRPC, and the validating admission webhook.
 */
@Command(
        name = "istiod-lite",
        mixinStandardHelpOptions = true,
        description = "Serves ztunnel's workload xDS (Delta ADS) and the Istio CA from a folder of YAML files or the"
                + " Kubernetes API.")
public final class IstiodLite implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(IstiodLite.class);

    @ArgGroup(exclusive = true, multiplicity = "1")
    ConfigOrigin origin;

    /** Where the configuration comes from: exactly one of these. */
    static final class ConfigOrigin {
        @Option(names = "--config-dir", required = true, description = "Folder of YAML files (watched for changes).")
        Path configDir;

        @Option(
                names = "--kubeconfig",
                required = true,
                description = "Watch the Kubernetes API server of this kubeconfig's current context.")
        Path kubeconfig;

        @Option(
                names = "--in-cluster",
                required = true,
                description = "Watch the Kubernetes API server with the pod's service account.")
        boolean inCluster;
    }

    @Option(
            names = "--webhook-port",
            defaultValue = "15017",
            description = "Validating admission webhook (HTTPS, on --tls-address; 0: any free port, -1: off). Its"
                    + " certificate: --webhook-cert and --webhook-key; else, on the Kubernetes source, one the mesh CA"
                    + " issues for istiod.<$POD_NAMESPACE, else istio-system>.svc, whose root istiod-lite writes into"
                    + " the caBundle of ValidatingWebhookConfiguration istio-validator-<namespace>. Default:"
                    + " ${DEFAULT-VALUE}.")
    int webhookPort;

    @Option(names = "--webhook-cert", description = "PEM certificate chain (leaf first) of the webhook.")
    Path webhookCert;

    @Option(names = "--webhook-key", description = "PEM private key of the webhook.")
    Path webhookKey;

    @Option(
            names = "--xds-port",
            defaultValue = "15010",
            description = "Plaintext xDS/CA port on loopback (0: any free port). Default: ${DEFAULT-VALUE}.")
    int xdsPort;

    @Option(
            names = "--tls-port",
            defaultValue = "15012",
            description = "TLS xDS/CA port (0: any free port, -1: off). Default: ${DEFAULT-VALUE}.")
    int tlsPort;

    @Option(
            names = "--tls-address",
            defaultValue = "0.0.0.0",
            description = "Address the TLS port binds to. Default: ${DEFAULT-VALUE}.")
    String tlsAddress;

    @Option(
            names = "--trust-domain",
            defaultValue = MeshSettings.DEFAULT_TRUST_DOMAIN,
            description = "SPIFFE trust domain. Default: ${DEFAULT-VALUE}.")
    String trustDomain;

    @Option(
            names = "--root-namespace",
            defaultValue = "istio-system",
            description = "Namespace of mesh-wide policies. Default: ${DEFAULT-VALUE}.")
    String rootNamespace;

    @Option(
            names = "--mesh-config",
            description = "Istio MeshConfig YAML (or the 'istio' ConfigMap) with the telemetry extensionProviders"
                    + " (zipkin, opentelemetry, envoyFileAccessLog), defaultProviders, defaultConfig.tracing.sampling"
                    + " and accessLogFile that Telemetry resources refer to. Without it: Istio's defaults.")
    java.nio.file.Path meshConfig;

    @Option(
            names = "--cluster-id",
            defaultValue = "Kubernetes",
            description = "Cluster name in workload UIDs. Default: ${DEFAULT-VALUE}.")
    String clusterId;

    @Option(
            names = "--ca-dir",
            description = "Istio 'cacerts' folder (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem). Used if"
                    + " ca-cert.pem is there; otherwise a new self-signed root is written there. Without it the root"
                    + " lives in memory only.")
    Path caDir;

    @Option(
            names = "--token-file",
            description = "YAML file mapping bearer tokens to callers for the CA. Without it, on the Kubernetes source"
                    + " tokens are checked with a TokenReview (audience istio-ca); on a folder every CSR is refused.")
    Path tokenFile;

    private io.fabric8.kubernetes.client.Config kubernetesConfig;
    private KubernetesClient tokenReviewClient;

    @Option(
            names = "--trusted-node-account",
            split = ",",
            description =
                    "namespace/serviceAccount of node agents allowed to impersonate pods on their node. Default: istio-system/ztunnel.")
    List<String> trustedNodeAccounts;

    @Option(
            names = "--service-entry-address-range",
            paramLabel = "CIDR",
            defaultValue = "240.240.0.0/16",
            description = "Where ServiceEntry hosts without addresses get one from, as Istio's IP auto-allocation"
                    + " (opt out per entry with the label networking.istio.io/enable-autoallocate-ip=false);"
                    + " 'none' turns it off. Default: ${DEFAULT-VALUE}.")
    String serviceEntryAddressRange;

    @Option(
            names = "--monitoring-port",
            defaultValue = "15014",
            description = "Metrics and debug pages on loopback (0: any free port, -1: off). Default: ${DEFAULT-VALUE}.")
    int monitoringPort;

    @Option(
            names = "--debounce-ms",
            defaultValue = "100",
            description = "Quiet time before a config change is pushed. Default: ${DEFAULT-VALUE}.")
    long debounceMillis;

    @Option(
            names = "--poll-ms",
            defaultValue = "2000",
            description = "Config folder poll interval (besides file watching). Default: ${DEFAULT-VALUE}.")
    long pollMillis;

    @Option(
            names = "--deploy-waypoints",
            arity = "0..1",
            defaultValue = "true",
            fallbackValue = "true",
            description = "On the Kubernetes source: deploy a waypoint (ServiceAccount, Service, Deployment, owned by"
                    + " the Gateway) for every Gateway of class istio-waypoint and write its status, as istiod's"
                    + " gateway deployment controller does. Ignored with --config-dir. Default: ${DEFAULT-VALUE}.")
    boolean deployWaypoints;

    @Option(
            names = "--publish-root-cert",
            arity = "0..1",
            defaultValue = "true",
            fallbackValue = "true",
            description = "On the Kubernetes source: keep a ConfigMap istio-ca-root-cert (root-cert.pem = the mesh CA's"
                    + " root) in every namespace but kube-public, kube-node-lease and local-path-storage, as istiod's"
                    + " namespace controller does; ztunnel and waypoints read the root from it. Ignored with"
                    + " --config-dir. Default: ${DEFAULT-VALUE}.")
    boolean publishRootCert;

    @Option(
            names = "--waypoint-image",
            defaultValue = WaypointTemplate.DEFAULT_IMAGE,
            description = "Container image of the waypoints it deploys. Default: ${DEFAULT-VALUE}.")
    String waypointImage;

    @Option(
            names = "--waypoint-xds-address",
            paramLabel = "HOST:PORT",
            description = "istiod-lite's TLS xDS/CA address as the waypoints it deploys reach it. Default:"
                    + " istiod.<$POD_NAMESPACE, else istio-system>.svc:15012.")
    String waypointXdsAddress;

    /*
     * The Leases of the controllers' elections, with the names istiod gives the same elections (istiod keeps the first
     * two in ConfigMaps; the gateway deployment one is a per-revision Lease, as here).
     */
    static final String NAMESPACE_LEASE = "istio-namespace-controller-election";
    static final String VALIDATION_LEASE = "istio-validation-controller-election";
    static final String GATEWAY_DEPLOYMENT_LEASE = "istio-gateway-deployment-default";

    /** How long the start waits to learn whether this replica leads a controller. */
    private static final Duration FIRST_ELECTION_WAIT = Duration.ofSeconds(5);

    /** Asked for; the CA shortens it to its maximum, and the webhook renews at half the lifetime it got. */
    private static final Duration WEBHOOK_CERTIFICATE_TTL = Duration.ofDays(365);

    private ConfigSource source;
    private KubernetesClient controllerClient;
    private ControllerElection<WaypointDeployments> waypointDeployments;
    private ControllerElection<RootCertificatePublisher> rootCertificatePublisher;
    private IstiodServer server;
    private MonitoringServer monitoring;
    private WebhookServer webhook;
    private ControllerElection<WebhookCaBundlePatcher> webhookCaBundlePatcher;
    private String electionIdentity;

    public static void main(String[] args) {
        System.exit(new CommandLine(new IstiodLite()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        try {
            start();
        } catch (IllegalArgumentException
                | java.io.UncheckedIOException
                | io.fabric8.kubernetes.client.KubernetesClientException e) {
            log.error("cannot start: {}", e.getMessage());
            close();
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "istiod-lite-shutdown"));
        server.awaitTermination();
        return 0;
    }

    private Optional<IpPrefix> autoAllocateRange() {
        if (serviceEntryAddressRange.equals("none")) {
            return Optional.empty();
        }
        IpPrefix range = IpPrefix.parse(serviceEntryAddressRange)
                .filter(p -> p.address().getAddress().length == 4 && p.length() <= 30)
                .orElseThrow(() -> new IllegalArgumentException("--service-entry-address-range "
                        + serviceEntryAddressRange + " is not an IPv4 CIDR of at least 4 addresses, nor 'none'"));
        return Optional.of(range);
    }

    /** Starts everything and returns once serving. */
    IstiodServer start() throws IOException {
        Optional<IpPrefix> entryAddressRange = autoAllocateRange();
        MeshCertificateAuthority ca = certificateAuthority();
        source = openSource();
        for (ConfigProblem problem : source.problems()) {
            log.warn("{}", problem.message());
        }
        CallerAuthenticator authenticator;
        if (tokenFile != null) {
            authenticator = TokenFileAuthenticator.load(tokenFile, trustDomain, Clock.systemUTC());
        } else if (kubernetesConfig != null) {
            tokenReviewClient =
                    new KubernetesClientBuilder().withConfig(kubernetesConfig).build();
            authenticator = new TokenReviewAuthenticator(
                    tokenReviewClient, trustDomain, TokenReviewAuthenticator.DEFAULT_AUDIENCE);
        } else {
            authenticator = null;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MeshSettings settings = new MeshSettings(trustDomain, rootNamespace, clusterId, "cluster.local", "")
                .withAutoAllocateRange(entryAddressRange);
        var builder = IstiodServer.builder(source, ca)
                .meterRegistry(registry)
                .settings(settings)
                .xdsPort(xdsPort)
                .servingHostNames(List.of("istiod." + podNamespace("istio-system") + ".svc"))
                .debounce(Duration.ofMillis(debounceMillis));
        if (meshConfig != null) {
            builder.meshTelemetry(io.ambientjava.istiod.translate.MeshTelemetry.read(meshConfig));
        }
        if (authenticator != null) {
            builder.authenticator(authenticator);
        }
        if (trustedNodeAccounts != null && !trustedNodeAccounts.isEmpty()) {
            builder.trustedNodeAccounts(Set.copyOf(trustedNodeAccounts));
        }
        if (tlsPort >= 0) {
            builder.tlsAddress(new InetSocketAddress(tlsAddress, tlsPort));
        }
        server = builder.start();
        startWaypointDeployments(settings);
        startRootCertificatePublisher(ca);
        if (monitoringPort >= 0) {
            monitoring = new MonitoringServer(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), monitoringPort), registry, source, server);
        }
        startWebhook(ca);
        log.info(
                "istiod-lite ready: config {}, xDS/CA plaintext 127.0.0.1:{}{}{}, trust domain {}",
                origin.configDir != null ? origin.configDir : ((KubernetesSource) source).masterUrl(),
                server.xdsPort(),
                server.tlsPort().map(p -> ", TLS " + tlsAddress + ":" + p).orElse(""),
                monitoring == null ? "" : ", monitoring 127.0.0.1:" + monitoring.port(),
                trustDomain);
        return server;
    }

    /**
     * The validating webhook: with the certificate of --webhook-cert/--webhook-key when given; else, on the Kubernetes
     * source, with one the mesh CA issues for {@code istiod.<namespace>.svc} (the Service the API server calls), whose
     * root this istiod-lite then writes into the ValidatingWebhookConfiguration's caBundle, as istiod does.
     */
    private void startWebhook(MeshCertificateAuthority ca) throws IOException {
        if (webhookPort < 0) {
            return;
        }
        InetSocketAddress address = new InetSocketAddress(tlsAddress, webhookPort);
        if (webhookCert != null && webhookKey != null) {
            webhook = WebhookServer.start(address, webhookCert, webhookKey);
            return;
        }
        if (kubernetesConfig == null) {
            log.info("validating webhook off: with --config-dir it needs --webhook-cert and --webhook-key");
            return;
        }
        String namespace = podNamespace("istio-system");
        SpiffeId identity = new SpiffeId(ca.trustDomain(), namespace, "istiod");
        List<String> hostNames = List.of("istiod." + namespace + ".svc");
        webhook = WebhookServer.start(address, () -> ca.issue(identity, hostNames, WEBHOOK_CERTIFICATE_TTL));
        String rootPem = Pem.writeCertificates(ca.trustBundle().roots());
        webhookCaBundlePatcher = elected(
                VALIDATION_LEASE,
                () -> WebhookCaBundlePatcher.start(
                        controllerClient(), source, namespace, () -> rootPem, ReconcileLoop.Options.defaults()));
    }

    /** istiod-lite's namespace: $POD_NAMESPACE (the downward API), else {@code fallback}. */
    private static String podNamespace(String fallback) {
        return Optional.ofNullable(System.getenv("POD_NAMESPACE"))
                .filter(ns -> !ns.isBlank())
                .orElse(fallback);
    }

    /** The waypoint deployment controller: on the Kubernetes source unless --deploy-waypoints=false. */
    private void startWaypointDeployments(MeshSettings settings) {
        if (kubernetesConfig == null) {
            return;
        }
        if (!deployWaypoints) {
            log.info("--deploy-waypoints=false: waypoint Gateways get no Deployment and no status from istiod-lite");
            return;
        }
        if (tlsPort < 0) {
            log.warn("--tls-port -1: the waypoints istiod-lite deploys connect to its TLS port and will find none");
        }
        String istiodAddress = waypointXdsAddress != null
                ? waypointXdsAddress
                : "istiod." + podNamespace("istio-system") + ".svc:15012";
        var template = new WaypointTemplate.Settings(
                waypointImage, istiodAddress, settings.trustDomain(), settings.domainSuffix());
        waypointDeployments = elected(
                GATEWAY_DEPLOYMENT_LEASE,
                () -> WaypointDeployments.start(
                        controllerClient(), source, template, ReconcileLoop.Options.defaults()));
    }

    /**
     * The root certificate publisher (istiod's namespace controller): on the Kubernetes source unless
     * --publish-root-cert=false.
     */
    private void startRootCertificatePublisher(MeshCertificateAuthority ca) {
        if (kubernetesConfig == null) {
            return;
        }
        if (!publishRootCert) {
            log.info("--publish-root-cert=false: no istio-ca-root-cert ConfigMaps from istiod-lite; ztunnel and the"
                    + " waypoints need the mesh root from elsewhere");
            return;
        }
        String rootPem = Pem.writeCertificates(ca.trustBundle().roots());
        rootCertificatePublisher = elected(
                NAMESPACE_LEASE,
                () -> RootCertificatePublisher.start(
                        controllerClient(), source, () -> rootPem, ReconcileLoop.Options.defaults()));
    }

    /**
     * Runs a controller in the replica that holds {@code lease} (in istiod-lite's namespace); returns once this replica
     * leads (the controller runs) or knows another does, or after {@link #FIRST_ELECTION_WAIT}.
     */
    private <T extends AutoCloseable> ControllerElection<T> elected(String lease, Supplier<T> controller) {
        if (electionIdentity == null) {
            String pod = Optional.ofNullable(System.getenv("POD_NAME"))
                    .filter(name -> !name.isBlank())
                    .orElseGet(IstiodLite::hostName);
            electionIdentity = pod + "_" + Long.toHexString(new java.security.SecureRandom().nextLong());
        }
        return ControllerElection.start(
                controllerClient(),
                podNamespace("istio-system"),
                lease,
                electionIdentity,
                ControllerElection.Timing.defaults(),
                controller,
                FIRST_ELECTION_WAIT);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "istiod-lite";
        }
    }

    /** The client the controllers write to the cluster with (the source has its own). */
    private KubernetesClient controllerClient() {
        if (controllerClient == null) {
            controllerClient =
                    new KubernetesClientBuilder().withConfig(kubernetesConfig).build();
        }
        return controllerClient;
    }

    private ConfigSource openSource() {
        if (origin.configDir != null) {
            return LocalFolderSource.open(origin.configDir, Duration.ofMillis(pollMillis));
        }
        var connection = kubernetesConnection();
        return KubernetesSource.connect(
                connection, KubernetesSource.Options.defaults().withDebounce(Duration.ofMillis(debounceMillis)));
    }

    /** The cluster istiod-lite reads (once decided, the same for the config source and the CA). */
    private io.fabric8.kubernetes.client.Config kubernetesConnection() {
        if (kubernetesConfig == null) {
            kubernetesConfig = origin.inCluster
                    ? KubernetesConnection.inCluster()
                    : KubernetesConnection.fromKubeconfig(origin.kubeconfig);
        }
        return kubernetesConfig;
    }

    /**
     * A plugged-in CA ({@code ca-cert.pem} and {@code ca-key.pem} in --ca-dir, Istio's {@code cacerts} layout); else,
     * on the Kubernetes source, the self-signed CA kept in the Secret {@code istio-ca-secret} of istiod-lite's
     * namespace (created by the first replica, as istiod does), so every replica and every restart signs with the same
     * root; else a self-signed CA written to --ca-dir, or one in memory only.
     */
    private MeshCertificateAuthority certificateAuthority() throws IOException {
        boolean pluggedIn = caDir != null && Files.exists(caDir.resolve("ca-cert.pem"));
        if (!pluggedIn && origin.configDir == null) {
            String namespace = podNamespace(rootNamespace);
            try (KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(kubernetesConnection())
                    .build()) {
                return SelfSignedCaSecret.loadOrCreate(client, namespace, trustDomain);
            }
        }
        if (caDir == null) {
            log.info("no --ca-dir: using a new self-signed root that lives in memory only");
            return MeshCertificateAuthority.createSelfSigned(trustDomain);
        }
        Path caCert = caDir.resolve("ca-cert.pem");
        if (Files.exists(caCert)) {
            Path chain = caDir.resolve("cert-chain.pem");
            Path root = caDir.resolve("root-cert.pem");
            return MeshCertificateAuthority.fromPem(
                    caCert,
                    caDir.resolve("ca-key.pem"),
                    Files.exists(chain) ? chain : null,
                    Files.exists(root) ? root : null,
                    trustDomain);
        }
        MeshCertificateAuthority created = MeshCertificateAuthority.createSelfSigned(trustDomain);
        created.writeTo(caDir);
        log.info("created a self-signed root CA in {} (root-cert.pem is the mesh trust bundle)", caDir);
        return created;
    }

    /** The monitoring server, when running. */
    java.util.Optional<MonitoringServer> monitoring() {
        return java.util.Optional.ofNullable(monitoring);
    }

    /** The waypoint deployment controller, when running. */
    java.util.Optional<WaypointDeployments> waypointDeployments() {
        return waypointDeployments == null ? Optional.empty() : waypointDeployments.controller();
    }

    /** The root certificate publisher, when running. */
    java.util.Optional<RootCertificatePublisher> rootCertificatePublisher() {
        return rootCertificatePublisher == null ? Optional.empty() : rootCertificatePublisher.controller();
    }

    /** The webhook caBundle patcher, when running. */
    java.util.Optional<WebhookCaBundlePatcher> webhookCaBundlePatcher() {
        return webhookCaBundlePatcher == null ? Optional.empty() : webhookCaBundlePatcher.controller();
    }

    /** The validating webhook, when running. */
    java.util.Optional<WebhookServer> webhook() {
        return java.util.Optional.ofNullable(webhook);
    }

    void close() {
        if (webhookCaBundlePatcher != null) {
            webhookCaBundlePatcher.close();
        }
        if (rootCertificatePublisher != null) {
            rootCertificatePublisher.close();
        }
        if (waypointDeployments != null) {
            waypointDeployments.close();
        }
        if (controllerClient != null) {
            controllerClient.close();
        }
        if (tokenReviewClient != null) {
            tokenReviewClient.close();
        }
        if (webhook != null) {
            webhook.close();
        }
        if (monitoring != null) {
            monitoring.close();
        }
        if (server != null) {
            server.close();
        }
        if (source != null) {
            source.close();
        }
    }

    /** For tests: the message picocli prints for bad arguments. */
    static int run(PrintWriter err, String... args) {
        return new CommandLine(new IstiodLite()).setErr(err).execute(args);
    }
}
