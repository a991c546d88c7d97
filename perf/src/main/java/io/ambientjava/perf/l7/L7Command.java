package io.ambientjava.perf.l7;

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

/** {@code l7}: the waypoint hop against ztunnel alone and against nginx as a TLS reverse proxy. */
@Command(
        name = "l7",
        mixinStandardHelpOptions = true,
        description = {
            "HTTP/1.1 through client → ztunnel → waypoint → ztunnel → server on network namespaces (needs root, ip, nft,"
                    + " wrk; nginx for the nginx variants), side by side with ztunnel alone (L4) and with"
                    + " nginx as a TLS reverse proxy doing the same route, and with the gateway (the waypoint's engine"
                    + " as an ingress) doing nginx's route proxy for proxy. Per variant: open-loop latency"
                    + " (p50/p90/p99) at a fixed rate, the most requests per second wrk gets, and each proxy's CPU"
                    + " (per 1,000 rps) and resident memory from /proc.",
            "Prints a Markdown table with the targets; --out also writes it to a file."
        })
public final class L7Command implements Callable<Integer> {

    /**
     * The waypoint's JVM for the run: a 48 MiB heap starting at 16 MiB and given back after collections, with a 6 MiB
     * young generation split into a 3 MiB eden and two 1.5 MiB survivors (an L7 proxy's garbage is small and
     * short-lived, but what a busy second has in flight at a young collection overflowed the default 0.4 MiB survivors
     * into the old generation, which kept ~17 MiB more resident until a full collection), Serial GC (no GC threads on
     * 1–2 cores), C2 alone without tiered compilation (no C1 code and C1 profiles beside the C2 code: about 13 MiB less
     * resident, the same CPU per request once warm), a 32 MiB code cache, the C heap trimmed every 2 s (the compiler's
     * freed arenas would otherwise stay resident: about 30 MiB), capped metaspace and direct memory, small stacks,
     * compact object headers, one Netty arena each and malloc limited to two arenas. perf/README.md has the runs behind
     * each choice.
     */
    public static final List<String> WAYPOINT_JVM_OPTIONS = List.of(
            "MALLOC_ARENA_MAX=2",
            "-Xms16m",
            "-Xmx48m",
            "-Xmn6m",
            "-XX:SurvivorRatio=2",
            "-XX:TargetSurvivorRatio=90",
            "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=20",
            "-XX:+UseSerialGC",
            "-XX:-TieredCompilation",
            "-XX:ReservedCodeCacheSize=32m",
            "-XX:TrimNativeHeapInterval=2000",
            "-XX:MaxMetaspaceSize=80m",
            "-XX:MaxDirectMemorySize=24m",
            "-Xss256k",
            "-XX:+UseCompactObjectHeaders",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dio.netty.allocator.numDirectArenas=1",
            "-Dio.netty.allocator.numHeapArenas=1",
            "-Dio.netty.leakDetection.level=disabled",
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    /**
     * The ztunnels' JVM for the run: {@link io.ambientjava.perf.mesh.ZtunnelLauncher#DEFAULT_JVM_OPTIONS} with C2
     * alone instead of C1 only, the C heap trimmed and the waypoint's young generation, as the DaemonSet's ztunnel
     * runs (deploy/daemonset/base/ztunnel/daemonset.yaml): this benchmark warms every path long enough for C2 (the
     * mesh benchmark's 3 s are not). Against tiered compilation and the default young generation: ~14 MiB less
     * resident per ztunnel at the same CPU (perf/README.md, session 14).
     */
    public static final List<String> ZTUNNEL_JVM_OPTIONS = java.util.stream.Stream.concat(
                    io.ambientjava.perf.mesh.ZtunnelLauncher.DEFAULT_JVM_OPTIONS.stream()
                            .filter(o -> !o.startsWith("-XX:TieredStopAtLevel=")
                                    && !o.startsWith("-XX:ReservedCodeCacheSize=")),
                    java.util.stream.Stream.of(
                            "MALLOC_ARENA_MAX=2",
                            "-XX:ReservedCodeCacheSize=32m",
                            "-XX:TrimNativeHeapInterval=2000",
                            "-XX:-TieredCompilation",
                            "-Xmn6m",
                            "-XX:SurvivorRatio=2",
                            "-XX:TargetSurvivorRatio=90",
                            "-XX:MinHeapFreeRatio=10",
                            "-XX:MaxHeapFreeRatio=20"))
            .toList();

    @Option(
            names = "--variants",
            split = ",",
            paramLabel = "VARIANT",
            description = "l4, waypoint, nginx, nginx-mtls, gateway-mtls (default: all).")
    List<String> variants;

    @Option(names = "--quick", description = "Smoke run: 0.5 s warm-up, 2 s latency and 2 s wrk per variant.")
    boolean quick;

    @Option(
            names = "--warmup",
            converter = DurationConverter.class,
            paramLabel = "TIME",
            description = "Warm-up of every path with wrk before anything is measured, and again at the fixed rate"
                    + " before the latency case (default 20s: C2 needs that many requests to compile the hot paths).")
    Duration warmup;

    @Option(
            names = "--duration",
            converter = DurationConverter.class,
            paramLabel = "TIME",
            description = "Measured time of the latency case (default 15s).")
    Duration duration;

    @Option(
            names = "--max-duration",
            converter = DurationConverter.class,
            paramLabel = "TIME",
            description = "wrk's run per variant (default 10s).")
    Duration maxDuration;

    @Option(names = "--rate", description = "Requests per second of the latency case (default 1000).")
    int rate = 1000;

    @Option(names = "--connections", description = "Connections of the latency case and of wrk (default 16).")
    int connections = 16;

    @Option(names = "--body-size", description = "Bytes of each answer (default 1024).")
    int bodySize = 1024;

    @Option(names = "--waypoint-jar", paramLabel = "FILE", description = "Default: waypoint/target/waypoint.jar.")
    Path waypointJar;

    @Option(names = "--ztunnel-jar", paramLabel = "FILE", description = "Default: ztunnel-java/target/ztunnel.jar.")
    Path ztunnelJar;

    @Option(names = "--istiod-jar", paramLabel = "FILE", description = "Default: istiod-lite/target/istiod-lite.jar.")
    Path istiodJar;

    @Option(
            names = "--waypoint-jvm-opts",
            paramLabel = "OPTIONS",
            description = "JVM options of the waypoint, space-separated (replace the tuned defaults).")
    String waypointJvmOptions;

    @Option(
            names = "--waypoint-extra-jvm-opts",
            paramLabel = "OPTIONS",
            description = "JVM options added after the waypoint's others, space-separated (e.g. a -Xlog for"
                    + " class-floor).")
    String waypointExtraJvmOptions;

    @Option(
            names = "--ztunnel-jvm-opts",
            paramLabel = "OPTIONS",
            description = "JVM options of each ztunnel, space-separated (default: the mesh benchmark's with C2; see"
                    + " ZTUNNEL_JVM_OPTIONS).")
    String ztunnelJvmOptions;

    @Option(
            names = "--waypoint-threads",
            description = "The waypoint's event loop threads (default 1, like one Envoy worker per core here).")
    int waypointThreads = 1;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the Markdown report here.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!HostEnvironment.isRoot()) {
            System.err.println("l7: needs root (network namespaces, veths, nftables); run it as root");
            return 2;
        }
        L7Options options = options();
        L7Report report = new L7Benchmark(options, System.err).run();
        String table = L7Table.markdown(report);
        System.out.println(table);
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, table);
            System.err.println("l7: written to " + out);
        }
        return 0;
    }

    L7Options options() {
        List<L7Variant> chosen = variants == null
                ? List.of(
                        L7Variant.L4, L7Variant.WAYPOINT, L7Variant.NGINX, L7Variant.NGINX_MTLS, L7Variant.GATEWAY_MTLS)
                : variants.stream().map(L7Variant::parse).toList();
        String wrk = program("wrk", "wrk (Debian: apt-get install wrk)");
        String nginx = chosen.stream().anyMatch(L7Variant::isNginx)
                ? program(
                        "nginx",
                        "nginx for the nginx variant (Debian: apt-get install nginx-light), or --variants"
                                + " without nginx")
                : "nginx";
        return new L7Options(
                chosen,
                warmup != null ? warmup : quick ? Duration.ofMillis(500) : Duration.ofSeconds(20),
                duration != null ? duration : quick ? Duration.ofSeconds(2) : Duration.ofSeconds(15),
                maxDuration != null ? maxDuration : quick ? Duration.ofSeconds(2) : Duration.ofSeconds(10),
                rate,
                connections,
                bodySize,
                jar(waypointJar, "waypoint/target/waypoint.jar", "waypoint"),
                jar(ztunnelJar, "ztunnel-java/target/ztunnel.jar", "ztunnel-java"),
                jar(istiodJar, "istiod-lite/target/istiod-lite.jar", "istiod-lite"),
                java.util.stream.Stream.concat(
                                split(waypointJvmOptions).orElse(WAYPOINT_JVM_OPTIONS).stream(),
                                split(waypointExtraJvmOptions).orElse(List.of()).stream())
                        .toList(),
                split(ztunnelJvmOptions).orElse(ZTUNNEL_JVM_OPTIONS),
                wrk,
                nginx,
                waypointThreads);
    }

    /**
     * {@code given}, else {@code relative} (a module's jar) from here or the parent folder; one that is missing is
     * refused, with how to build it.
     */
    public static Path jar(Path given, String relative, String module) {
        if (given != null) {
            return requireFile(given, module);
        }
        for (Path candidate : List.of(Path.of(relative), Path.of("..").resolve(relative))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return requireFile(Path.of(relative), module);
    }

    private static Path requireFile(Path path, String module) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(path + " does not exist; build it with `./mvnw -B -q -pl " + module
                    + " package -DskipTests` or give its path");
        }
        return path;
    }

    private static String program(String name, String what) {
        Optional<File> found = HostEnvironment.findOnPath(name);
        if (found.isEmpty()) {
            throw new IllegalArgumentException("l7 needs " + what + " on the PATH");
        }
        return found.get().getPath();
    }

    private static Optional<List<String>> split(String options) {
        if (options == null) {
            return Optional.empty();
        }
        return Optional.of(Arrays.stream(options.strip().split("\\s+"))
                .filter(s -> !s.isEmpty())
                .toList());
    }
}
