package io.ambientjava.ztunnel.app;

import io.ambientjava.ztunnel.admin.OperationsServers;
import io.ambientjava.ztunnel.caclient.CaClientSettings;
import io.ambientjava.ztunnel.config.LocalConfigSource;
import io.ambientjava.ztunnel.controlplane.ControlPlaneTls;
import io.ambientjava.ztunnel.controlplane.RootCertificateFile;
import io.ambientjava.ztunnel.dns.DnsSettings;
import io.ambientjava.ztunnel.dns.ResolvConf;
import io.ambientjava.ztunnel.inpod.statemanager.ZdsPodSource;
import io.ambientjava.ztunnel.runtime.InboundSourceMode;
import io.ambientjava.ztunnel.runtime.ZtunnelRuntimeConfig;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.xds.XdsClientSettings;
import io.ambientjava.ztunnel.xds.XdsNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ztunnel}: runs one ztunnel process for a node. Pods come from the node agent over ZDS ({@code
 * --zds-socket}, Istio's socket path by default), or, for tests and local use, from the command line ({@code --pod})
 * or a file ({@code --pods-file}); state comes from ztunnel's local config or
 * from workload xDS ({@code --xds-address}), certificates from a local CA or from istiod's ({@code --ca-address}).
 *
 * <p>Prints {@code ztunnel ready admin=HOST:PORT metrics=HOST:PORT readiness=HOST:PORT ...} on stdout once it
 * serves. SIGTERM or SIGINT (or {@code POST /quitquitquit}) drains connections up to {@code --drain-timeout} and
 * exits 0. A bad command line exits 2, a failure to start 1, each with one line on stderr.
 */
@Command(
        name = "ztunnel",
        mixinStandardHelpOptions = true,
        versionProvider = ZtunnelMain.Version.class,
        sortOptions = false,
        description = "Runs ztunnel-java, the per-node L4 proxy of Istio's ambient mode.")
public final class ZtunnelMain implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    private static final Logger log = LoggerFactory.getLogger(ZtunnelMain.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--node", description = "Node name (default: $NODE_NAME, else the host name).")
    String node;

    @Option(
            names = "--trust-domain",
            defaultValue = Workload.DEFAULT_TRUST_DOMAIN,
            description = "Mesh trust domain (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(
            names = "--local-config",
            paramLabel = "FILE",
            description = "ztunnel local config YAML, watched for changes (default: $LOCAL_XDS_PATH, or inline"
                    + " $LOCAL_XDS).")
    Path localConfig;

    @Option(
            names = "--xds-address",
            paramLabel = "HOST:PORT",
            description =
                    "Workload xDS (Delta ADS; plaintext gRPC unless --istiod-root-cert, e.g. istiod-lite's 127.0.0.1:15010) to take the"
                            + " state from; instead of --local-config.")
    String xdsAddress;

    @Option(
            names = "--xds-sync-timeout",
            defaultValue = "15s",
            converter = DurationConverter.class,
            description = "How long start-up waits for the first full xDS state before serving without it; readiness"
                    + " stays 503 until it arrives (default: ${DEFAULT-VALUE}).")
    Duration xdsSyncTimeout;

    @Option(
            names = "--ca-address",
            paramLabel = "HOST:PORT",
            description =
                    "istiod's CA (CreateCertificate; plaintext gRPC unless --istiod-root-cert, e.g. 127.0.0.1:15010) to get workload"
                            + " certificates from; needs --token-file; instead of --ca-dir/--ca-out.")
    String caAddress;

    @Option(
            names = "--istiod-root-cert",
            paramLabel = "FILE",
            description =
                    "PEM roots of the mesh: talk to --xds-address and --ca-address over TLS (istiod's port 15012),"
                            + " verifying istiod's SPIFFE ID spiffe://<trust-domain>/ns/istio-system/sa/istiod. Read"
                            + " again when it changes; a file not there yet in a folder that is (the optional"
                            + " istio-ca-root-cert volume) is waited for.")
    Path istiodRootCert;

    /** How often the --istiod-root-cert file is looked at for a rotated root, and how often a wait is reported. */
    private static final Duration ROOT_CERT_CHECK = Duration.ofSeconds(10);

    private static final Duration ROOT_CERT_WAIT_REPORT = Duration.ofSeconds(30);
    private RootCertificateFile istiodRoots;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "This ztunnel's bearer token for --ca-address (and for --xds-address over TLS), read again"
                    + " on every request.")
    Path tokenFile;

    @Option(
            names = "--pod",
            paramLabel = "UID=NETNS_PATH",
            converter = PodSpecConverter.class,
            description =
                    "A pod to proxy for, e.g. Kubernetes//Pod/default/client=/var/run/netns/client." + " Repeatable.")
    List<PodSpec> pods = new ArrayList<>();

    @Option(
            names = "--pods-file",
            paramLabel = "FILE",
            description = "More pods, one '<uid> <netns-path>' per line; re-read when it changes.")
    Path podsFile;

    @Option(
            names = "--zds-socket",
            paramLabel = "PATH",
            description = "The node agent's ZDS socket to take pods from (default when neither --pod nor --pods-file"
                    + " is given: " + ZdsPodSource.DEFAULT_SOCKET_PATH + "); readiness waits for its first snapshot.")
    Path zdsSocket;

    @Option(
            names = "--ca-dir",
            paramLabel = "DIR",
            description = "Plugged-in CA (ca-cert.pem, ca-key.pem, [cert-chain.pem], [root-cert.pem]). Give every"
                    + " ztunnel of a mesh the same one.")
    Path caDir;

    @Option(
            names = "--ca-out",
            paramLabel = "DIR",
            description = "Without --ca-dir: write the generated self-signed CA here (cacerts layout, key"
                    + " included) for other ztunnels' --ca-dir.")
    Path caOut;

    @Option(
            names = "--admin-port",
            defaultValue = "" + OperationsServers.ADMIN_PORT,
            description = "Admin port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int adminPort;

    @Option(
            names = "--metrics-port",
            defaultValue = "" + OperationsServers.METRICS_PORT,
            description = "Prometheus metrics port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int metricsPort;

    @Option(
            names = "--readiness-port",
            defaultValue = "" + OperationsServers.READINESS_PORT,
            description = "Readiness port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int readinessPort;

    @Option(
            names = "--stats-address",
            defaultValue = "0.0.0.0",
            paramLabel = "IP",
            description = "Address the metrics and readiness ports bind to (default: ${DEFAULT-VALUE}).")
    String statsAddress;

    @Option(
            names = "--drain-timeout",
            defaultValue = "5s",
            converter = DurationConverter.class,
            description = "How long a shutdown lets connections finish (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(
            names = "--worker-threads",
            defaultValue = "" + ZtunnelRuntimeConfig.DEFAULT_EVENT_LOOP_THREADS,
            description = "Proxy event loop threads (default: ${DEFAULT-VALUE}).")
    int workerThreads;

    @Option(
            names = "--inbound-source",
            defaultValue = "PRESERVE_CLIENT_IP",
            description = "Source address apps see: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    InboundSourceMode inboundSource;

    @Option(
            names = "--dns-capture",
            description = "Run the DNS proxy on 127.0.0.1:15053 in each pod (Istio's ISTIO_META_DNS_CAPTURE; also"
                    + " on when that variable is true). The node agent's --dns-capture redirects pods' DNS to it.")
    boolean dnsCapture;

    @Option(
            names = "--dns-upstream",
            split = ",",
            description = "Resolver(s) for names outside the mesh and for endpoints known only by name (DNS"
                    + " ServiceEntries), HOST:PORT (default: the nameservers of --dns-resolv-conf).")
    List<String> dnsUpstreams = new ArrayList<>();

    @Option(
            names = "--dns-resolv-conf",
            defaultValue = "/etc/resolv.conf",
            description = "Where the upstream resolvers are read from (default: ${DEFAULT-VALUE}).")
    Path dnsResolvConf;

    @Option(
            names = "--dns-port",
            defaultValue = "" + DnsSettings.ISTIO_PORT,
            description = "DNS proxy port in each pod (default: ${DEFAULT-VALUE}).")
    int dnsPort;

    @Option(
            names = "--cluster-domain",
            defaultValue = "cluster.local",
            description = "Kubernetes cluster domain short service names expand with (default: ${DEFAULT-VALUE}).")
    String clusterDomain;

    private Map<String, String> env = System.getenv();
    private PrintStream out = System.out;
    private PrintStream err = System.err;
    private Consumer<ZtunnelProcess> onStarted = ShutdownSignals::install;

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Parses and runs; returns the exit code. A successful start blocks until the process is shut down. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        return run(args, env, out, err, ShutdownSignals::install);
    }

    /** As {@link #run(String[], Map, PrintStream, PrintStream)}, with what to do once started (tests skip signals). */
    static int run(
            String[] args,
            Map<String, String> env,
            PrintStream out,
            PrintStream err,
            Consumer<ZtunnelProcess> onStarted) {
        ZtunnelMain main = new ZtunnelMain();
        main.env = env;
        main.out = out;
        main.err = err;
        main.onStarted = onStarted;
        CommandLine cli = new CommandLine(main)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new java.io.PrintWriter(out, true))
                .setErr(new java.io.PrintWriter(err, true));
        cli.setParameterExceptionHandler((e, ignored) -> {
            err.println("ztunnel: " + e.getMessage() + " (see ztunnel --help)");
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, ignored, parsed) -> {
            err.println("ztunnel: unexpected failure: " + e);
            log.error("unexpected failure", e);
            return EXIT_FAILED;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        ZtunnelSettings settings = settings();
        ZtunnelProcess process;
        try {
            process = ZtunnelProcess.start(settings, out);
        } catch (StartupException e) {
            err.println("ztunnel: " + e.getMessage());
            return EXIT_FAILED;
        }
        onStarted.accept(process);
        process.awaitStopped();
        return EXIT_OK;
    }

    /** Checks the options together and builds the settings; throws a ParameterException naming the option. */
    ZtunnelSettings settings() {
        String nodeName = node != null ? node : env.getOrDefault("NODE_NAME", "");
        if (nodeName.isBlank()) {
            nodeName = hostName();
        }
        if (trustDomain.isBlank()) {
            throw usage("--trust-domain must not be empty");
        }
        Set<String> uids = new HashSet<>();
        for (PodSpec pod : pods) {
            if (!uids.add(pod.uid())) {
                throw usage("--pod " + pod.uid() + " is given twice");
            }
        }
        Optional<XdsClientSettings> xds = Optional.empty();
        if (xdsAddress != null) {
            if (localConfig != null) {
                throw usage("--xds-address and --local-config are mutually exclusive");
            }
            HostPort target = hostPort(xdsAddress, "--xds-address");
            XdsClientSettings plain =
                    XdsClientSettings.of(target.host(), target.port(), XdsNode.fromEnvironment(env, nodeName));
            Optional<ControlPlaneTls> tls = istiodTls();
            if (tls.isPresent() && tokenFile == null) {
                throw usage("--xds-address over TLS (--istiod-root-cert) needs --token-file to authenticate");
            }
            xds = Optional.of(tls.map(t -> plain.withTls(t, tokenFile)).orElse(plain));
        }
        if (istiodRootCert != null && xdsAddress == null && caAddress == null) {
            throw usage("--istiod-root-cert is only used with --xds-address or --ca-address");
        }
        Optional<CaClientSettings> ca = caClient();
        Optional<Path> configFile = Optional.ofNullable(localConfig);
        Optional<String> inline = Optional.empty();
        if (configFile.isEmpty() && xds.isEmpty()) {
            String path = env.get(LocalConfigSource.PATH_ENV);
            if (path != null && !path.isBlank()) {
                configFile = Optional.of(Path.of(path));
            } else {
                inline = Optional.ofNullable(env.get(LocalConfigSource.INLINE_ENV))
                        .filter(s -> !s.isBlank());
            }
        }
        Optional<Path> zds = Optional.ofNullable(zdsSocket);
        if (zds.isPresent() && (!pods.isEmpty() || podsFile != null)) {
            throw usage("--zds-socket and --pod/--pods-file are mutually exclusive (pods come from the node agent or"
                    + " from the command line)");
        }
        if (pods.isEmpty() && podsFile == null && zds.isEmpty()) {
            zds = Optional.of(ZdsPodSource.DEFAULT_SOCKET);
        }
        if (workerThreads < 1) {
            throw usage("--worker-threads must be at least 1, was " + workerThreads);
        }
        return new ZtunnelSettings(
                nodeName,
                trustDomain,
                configFile,
                inline,
                pods,
                Optional.ofNullable(podsFile),
                Optional.ofNullable(caDir),
                Optional.ofNullable(caOut),
                socket("127.0.0.1", adminPort, "--admin-port"),
                socket(statsAddress, metricsPort, "--metrics-port"),
                socket(statsAddress, readinessPort, "--readiness-port"),
                drainTimeout,
                workerThreads,
                inboundSource,
                xds,
                xdsSyncTimeout,
                ca,
                zds,
                dnsSettings());
    }

    private DnsSettings dnsSettings() {
        boolean enabled = dnsCapture || "true".equalsIgnoreCase(env.getOrDefault("ISTIO_META_DNS_CAPTURE", ""));
        List<InetSocketAddress> upstreams = new ArrayList<>();
        for (String upstream : dnsUpstreams) {
            HostPort target = hostPort(upstream, "--dns-upstream");
            try {
                upstreams.add(new InetSocketAddress(InetAddress.ofLiteral(target.host()), target.port()));
            } catch (IllegalArgumentException e) {
                throw usage("--dns-upstream " + upstream + ": '" + target.host() + "' is not an IP address");
            }
        }
        if (upstreams.isEmpty()) {
            try {
                upstreams.addAll(ResolvConf.nameservers(dnsResolvConf));
            } catch (IOException e) {
                if (enabled) {
                    throw usage(
                            "--dns-capture needs upstream resolvers: " + e.getMessage() + " (or give --dns-upstream)");
                }
                // Without capture they only serve endpoints known by name; ztunnel says so when one is dialled.
                return DnsSettings.DISABLED;
            }
        }
        if (!enabled) {
            return DnsSettings.disabled(upstreams);
        }
        try {
            return DnsSettings.enabled(upstreams).withPort(dnsPort).withClusterDomain(clusterDomain);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private Optional<CaClientSettings> caClient() {
        if (caAddress == null) {
            if (tokenFile != null && (xdsAddress == null || istiodRootCert == null)) {
                throw usage("--token-file is only used with --ca-address, or --xds-address over TLS");
            }
            return Optional.empty();
        }
        if (tokenFile == null) {
            throw usage("--ca-address needs --token-file (this ztunnel's bearer token)");
        }
        if (caDir != null || caOut != null) {
            throw usage("--ca-address and --ca-dir/--ca-out are mutually exclusive");
        }
        HostPort target = hostPort(caAddress, "--ca-address");
        CaClientSettings plain = CaClientSettings.of(target.host(), target.port(), tokenFile);
        return Optional.of(istiodTls().map(plain::withTls).orElse(plain));
    }

    /**
     * TLS to istiod when {@code --istiod-root-cert} is given: the roots in that file, read again when it changes (a
     * rotated root), and istiod's SPIFFE ID in our trust domain. A file not there yet in a folder that is (the
     * optional {@code istio-ca-root-cert} volume before istiod published it) is waited for.
     */
    private Optional<ControlPlaneTls> istiodTls() {
        if (istiodRootCert == null) {
            return Optional.empty();
        }
        if (istiodRoots == null) {
            try {
                istiodRoots = RootCertificateFile.open(istiodRootCert, ROOT_CERT_CHECK, ROOT_CERT_WAIT_REPORT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw usage("--istiod-root-cert " + istiodRootCert + ": interrupted while waiting for it");
            } catch (RuntimeException e) {
                throw usage("--istiod-root-cert " + istiodRootCert + ": " + e.getMessage());
            }
        }
        return Optional.of(ControlPlaneTls.istiod(istiodRoots, trustDomain));
    }

    private HostPort hostPort(String value, String option) {
        try {
            return HostPort.parse(value);
        } catch (IllegalArgumentException e) {
            throw usage(option + " " + e.getMessage());
        }
    }

    private InetSocketAddress socket(String host, int port, String option) {
        if (port < 0 || port > 65535) {
            throw usage(option + " " + port + " is not in 0..65535");
        }
        InetAddress address;
        try {
            if (!host.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
                throw new UnknownHostException(host);
            }
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw usage("--stats-address '" + host + "' is not an IP address");
        }
        return new InetSocketAddress(address, port);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** Parses {@code --pod} values. */
    static final class PodSpecConverter implements CommandLine.ITypeConverter<PodSpec> {
        @Override
        public PodSpec convert(String value) {
            try {
                return PodSpec.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "ztunnel-java "
                        + io.ambientjava.ztunnel.status.BuildInfo.current().version()
            };
        }
    }
}
