package io.ambientjava.meshctl.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A waypoint or ingress gateway of the local mesh: a pod (its own netns through the CNI chain, left out of ztunnel's
 * capture) running waypoint.jar with its own identity, configured by istiod-lite over Envoy xDS.
 */
public final class MeshProxy {
    /** What the proxy runs as. */
    public enum Kind {
        WAYPOINT,
        INGRESS
    }

    public static final int METRICS_PORT = 15020;

    private final Kind kind;
    private final String namespace;
    private final String gateway;
    private final String podName;
    private final String serviceAccount;
    private final String ip;
    private final Path netns;
    private final ChildProcess process;

    MeshProxy(
            Kind kind,
            String namespace,
            String gateway,
            String podName,
            String serviceAccount,
            String ip,
            Path netns,
            ChildProcess process) {
        this.kind = kind;
        this.namespace = namespace;
        this.gateway = gateway;
        this.podName = podName;
        this.serviceAccount = serviceAccount;
        this.ip = ip;
        this.netns = netns;
        this.process = process;
    }

    public Kind kind() {
        return kind;
    }

    public String namespace() {
        return namespace;
    }

    /** The Gateway it runs as (a waypoint's name, or an ingress gateway's Istio Gateway name). */
    public String gateway() {
        return gateway;
    }

    public String podName() {
        return podName;
    }

    public String ip() {
        return ip;
    }

    public Path netns() {
        return netns;
    }

    public String principal() {
        return "spiffe://cluster.local/ns/" + namespace + "/sa/" + serviceAccount;
    }

    /** Its Prometheus text ({@code istio_requests_total}, ...), scraped from inside its netns. */
    public String metrics() {
        HostCommand.Result result = HostCommand.inNetns(
                        netns, "curl", "-sS", "-m", "5", "http://127.0.0.1:" + METRICS_PORT + "/stats/prometheus")
                .run();
        if (!result.ok()) {
            throw new IllegalStateException(
                    podName + ": metrics not served: " + result.stderr().strip());
        }
        return result.stdout();
    }

    /** Its access log lines so far (Envoy-like: method, path, status, response flags, attempts, upstream ...). */
    public List<String> accessLog() {
        return process.log().lines().filter(MeshProxy::isAccessLogLine).toList();
    }

    /** Access log lines start with the request's start time in brackets: {@code [2026-01-02T03:04:05.678Z] "GET}. */
    static boolean isAccessLogLine(String line) {
        return line.length() > 2 && line.charAt(0) == '[' && Character.isDigit(line.charAt(1));
    }

    /**
     * The access log lines after the first {@code before}, once there are at least {@code expected} of them or
     * {@code within} has passed (the proxy writes its access log off the request path, a moment later).
     */
    public List<String> accessLogAfter(int before, int expected, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            List<String> lines = accessLog();
            List<String> fresh = lines.subList(Math.min(before, lines.size()), lines.size());
            if (fresh.size() >= expected || System.nanoTime() >= deadline) {
                return fresh;
            }
            Thread.sleep(20);
        }
    }

    /** Everything it logged so far. */
    public String log() {
        return process.log();
    }
}
