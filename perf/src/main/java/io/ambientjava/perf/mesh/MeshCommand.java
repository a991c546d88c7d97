package io.ambientjava.perf.mesh;

import io.ambientjava.perf.cli.DurationConverter;
import io.ambientjava.testing.HostEnvironment;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh}: pod to pod through two ztunnels against direct and against stunnel, on a netns topology. */
@Command(
        name = "mesh",
        mixinStandardHelpOptions = true,
        description = {
            "Pod to pod across two nodes (network namespaces; needs root, ip and nft): direct, through one ztunnel"
                    + " per node (L4, HBONE mTLS; pods redirected with nftables, eBPF or both, see --redirect) and"
                    + " through stunnel (plain mutual TLS 1.3). Measures throughput over 1 and N connections,"
                    + " open-loop latency (p50/p90/p99) at a fixed rate, and each proxy process's CPU per 1,000"
                    + " requests and resident memory; per redirection mode also the time to enroll a pod and the"
                    + " cost of the N-th pod's enroll.",
            "Prints a Markdown table with the targets; --out also writes it to a file."
        })
public final class MeshCommand implements Callable<Integer> {

    static final List<MeshVariant> DEFAULT_VARIANTS =
            List.of(MeshVariant.DIRECT, MeshVariant.ZTUNNEL, MeshVariant.STUNNEL);

    @Option(
            names = "--variants",
            split = ",",
            paramLabel = "VARIANT",
            description = "Variants to run, in order (default: direct,ztunnel,stunnel).")
    List<String> variants;

    @Option(names = "--quick", description = "Smoke run: 0.3 s warm-up and 1 s per case unless given explicitly.")
    boolean quick;

    @Option(
            names = "--warmup",
            converter = DurationConverter.class,
            paramLabel = "TIME",
            description = "Warm-up per case, not measured (default 3s).")
    Duration warmup;

    @Option(
            names = "--duration",
            converter = DurationConverter.class,
            paramLabel = "TIME",
            description = "Measured time per case (default 10s).")
    Duration duration;

    @Option(names = "--rate", description = "Requests per second of the latency case (default 1000).")
    Integer rate;

    @Option(names = "--connections", description = "Connections of the latency case (default 16).")
    Integer connections;

    @Option(names = "--message-size", description = "Bytes per request of the latency case (default 1024).")
    Integer messageSize;

    @Option(names = "--streams", description = "Connections of the multi-connection throughput case (default 16).")
    Integer streams;

    @Option(
            names = "--ztunnel-jar",
            paramLabel = "FILE",
            description = "ztunnel's runnable jar (default: ztunnel-java/target/ztunnel.jar here or one folder up).")
    Path ztunnelJar;

    @Option(
            names = "--ztunnel-jvm-opts",
            paramLabel = "OPTIONS",
            description = "JVM options for each ztunnel, space-separated (replace the tuned defaults).")
    String ztunnelJvmOptions;

    @Option(
            names = "--stunnel",
            paramLabel = "COMMAND",
            description = "stunnel binary (default: stunnel4, else stunnel).")
    String stunnel;

    @Option(
            names = "--same-node",
            description = "Both pods on one node: one ztunnel carries both ends (default: one pod on each of two"
                    + " nodes).")
    boolean sameNode;

    @Option(
            names = "--redirect",
            paramLabel = "MODE",
            description = "How ztunnel's pods are redirected: nftables, ebpf, ebpf-no-fast-path (ebpf with its sk_msg"
                    + " fast path detached), both (= nftables,ebpf) or a comma-separated list; ztunnel runs once per"
                    + " mode, side by side in the table; ebpf attaches to a cgroup of the benchmark's own"
                    + " (default: nftables).")
    String redirect = "nftables";

    @Option(
            names = "--enroll-samples",
            description = "Pods for 'enroll to first redirected byte', per mode (default 30, --quick 10).")
    Integer enrollSamples;

    @Option(
            names = "--enroll-pods",
            description = "N for 'the N-th pod's enroll' (N-1 enrolled before it), per mode; 0 skips the"
                    + " enrollment figures (default 1000, --quick 200).")
    Integer enrollPods;

    @Option(
            names = "--enroll-budget",
            converter = DurationConverter.class,
            paramLabel = "TIME",
            description = "Cap on the N enrolls per mode; the table says how many were reached (default 300s,"
                    + " --quick 60s).")
    Duration enrollBudget;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the Markdown report here.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!HostEnvironment.isRoot()) {
            System.err.println("mesh: needs root (it creates network namespaces, veths and nftables rules);"
                    + " run it with sudo or as root");
            return 2;
        }
        MeshOptions options = options();
        MeshReport report = new MeshBenchmark(options, System.err).run();
        String table = MeshTable.markdown(report);
        System.out.println(table);
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, table);
            System.err.println("mesh: written to " + out);
        }
        return 0;
    }

    MeshOptions options() {
        List<MeshVariant> chosen = variants == null
                ? DEFAULT_VARIANTS
                : variants.stream().map(MeshVariant::parse).toList();
        return new MeshOptions(
                chosen,
                warmup != null ? warmup : quick ? Duration.ofMillis(300) : Duration.ofSeconds(3),
                duration != null ? duration : quick ? Duration.ofSeconds(1) : Duration.ofSeconds(10),
                rate != null ? rate : MeshOptions.DEFAULT_RATE,
                connections != null ? connections : MeshOptions.DEFAULT_CONNECTIONS,
                messageSize != null ? messageSize : MeshOptions.DEFAULT_MESSAGE_SIZE,
                streams != null ? streams : MeshOptions.DEFAULT_STREAMS,
                ztunnelJar != null
                        ? ztunnelJar
                        : ZtunnelLauncher.locateJar(List.of(
                                Path.of("ztunnel-java/target/ztunnel.jar"),
                                Path.of("../ztunnel-java/target/ztunnel.jar"))),
                ztunnelJvmOptions != null
                        ? Arrays.stream(ztunnelJvmOptions.strip().split("\\s+"))
                                .filter(s -> !s.isEmpty())
                                .toList()
                        : ZtunnelLauncher.DEFAULT_JVM_OPTIONS,
                stunnel != null ? stunnel : defaultStunnel(chosen),
                sameNode,
                MeshRedirect.parseChoice(redirect),
                enrollmentPlan());
    }

    private Optional<EnrollmentPlan> enrollmentPlan() {
        int pods = enrollPods != null ? enrollPods : quick ? 200 : 1_000;
        if (pods == 0) {
            return Optional.empty();
        }
        return Optional.of(new EnrollmentPlan(
                enrollSamples != null ? enrollSamples : quick ? 10 : 30,
                pods,
                enrollBudget != null ? enrollBudget : quick ? Duration.ofSeconds(60) : Duration.ofSeconds(300)));
    }

    private static String defaultStunnel(List<MeshVariant> chosen) {
        Optional<File> found = HostEnvironment.findOnPath("stunnel4").or(() -> HostEnvironment.findOnPath("stunnel"));
        if (found.isPresent()) {
            return found.get().getPath();
        }
        if (chosen.contains(MeshVariant.STUNNEL)) {
            throw new IllegalArgumentException("the stunnel variant needs stunnel on the PATH (Debian: apt-get install"
                    + " stunnel4), or --stunnel, or --variants without stunnel");
        }
        return "stunnel4";
    }
}
