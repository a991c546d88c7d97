package io.ambientjava.perf.controlplane;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code control-plane}: istiod-lite with a large synthetic mesh and many simulated ztunnels. */
@Command(
        name = "control-plane",
        mixinStandardHelpOptions = true,
        description = {
            "istiod-lite at scale: writes a synthetic ambient mesh (pods, services) as a config folder, starts"
                    + " istiod-lite's jar on it, connects many simulated ztunnels (Delta ADS, wildcard addresses and"
                    + " authorizations, ACK everything) from this process, and measures the full sync, istiod-lite's"
                    + " heap after a full GC and its RSS, and how fast single pod additions/removals reach every"
                    + " client. No root needed; loopback only.",
            "Prints a Markdown table with the targets; --out also writes it to a file."
        })
public final class ControlPlaneCommand implements Callable<Integer> {

    @Option(names = "--pods", defaultValue = "10000", description = "Pods in the mesh (default ${DEFAULT-VALUE}).")
    int pods;

    @Option(names = "--services", defaultValue = "1000", description = "Services (default ${DEFAULT-VALUE}).")
    int services;

    @Option(names = "--namespaces", defaultValue = "10", description = "Namespaces (default ${DEFAULT-VALUE}).")
    int namespaces;

    @Option(names = "--nodes", defaultValue = "100", description = "Nodes the pods run on (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(
            names = "--clients",
            defaultValue = "100",
            description = "Simulated ztunnels, one per node (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(
            names = "--changes",
            defaultValue = "10",
            description = "Pod additions (each followed by its removal) timed (default ${DEFAULT-VALUE}).")
    int changes;

    @Option(
            names = "--debounce-ms",
            defaultValue = "10",
            description =
                    "istiod-lite's --debounce-ms for the run (default ${DEFAULT-VALUE}; istiod-lite's own default is 100).")
    long debounceMillis;

    @Option(
            names = "--istiod-jar",
            paramLabel = "FILE",
            description =
                    "istiod-lite's runnable jar (default: istiod-lite/target/istiod-lite.jar here or one folder up).")
    Path istiodJar;

    @Option(
            names = "--istiod-jvm-opts",
            paramLabel = "OPTIONS",
            defaultValue = "-Xmx512m -XX:+UseG1GC",
            description =
                    "JVM options of istiod-lite, space-separated (default: ${DEFAULT-VALUE}: the heap target is the limit).")
    String istiodJvmOptions;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the Markdown report here.")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path jar = istiodJar != null ? istiodJar : locate();
        List<String> jvm = Arrays.stream(istiodJvmOptions.trim().split("\\s+"))
                .filter(s -> !s.isEmpty())
                .toList();
        ControlPlaneOptions options = new ControlPlaneOptions(
                new ScaleMesh(pods, services, namespaces, nodes),
                clients,
                changes,
                Duration.ofMillis(debounceMillis),
                jar,
                jvm);
        String report = new ControlPlaneBenchmark(options).run().markdown();
        System.out.println(report);
        if (out != null) {
            Files.writeString(out, report);
        }
        return 0;
    }

    private static Path locate() {
        for (Path candidate : List.of(
                Path.of("istiod-lite/target/istiod-lite.jar"), Path.of("../istiod-lite/target/istiod-lite.jar"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException(
                "istiod-lite/target/istiod-lite.jar not found: build it (./mvnw -pl istiod-lite package) or pass --istiod-jar");
    }
}
