package io.ambientjava.ztunnel.app;

import io.ambientjava.ztunnel.caclient.CaClientSettings;
import io.ambientjava.ztunnel.dns.DnsSettings;
import io.ambientjava.ztunnel.runtime.InboundSourceMode;
import io.ambientjava.ztunnel.xds.XdsClientSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How one ztunnel process runs, as the command line (and environment) asked.
 *
 * @param localConfigFile the local config YAML to load and watch
 * @param localConfigInline local config YAML given inline ({@code LOCAL_XDS}), used when there is no file
 * @param pods pods given on the command line
 * @param podsFile a file listing more pods, reloaded when it changes
 * @param xds workload xDS to feed the state from, instead of a local config
 * @param xdsSyncTimeout how long start-up waits for the first full xDS state
 * @param ca istiod's CA to get workload certificates from, instead of a local CA
 * @param zdsSocket the node agent's ZDS socket to take pods from, instead of {@code pods} and {@code podsFile}
 */
public record ZtunnelSettings(
        String node,
        String trustDomain,
        Optional<Path> localConfigFile,
        Optional<String> localConfigInline,
        List<PodSpec> pods,
        Optional<Path> podsFile,
        Optional<Path> caDir,
        Optional<Path> caOut,
        InetSocketAddress adminAddress,
        InetSocketAddress metricsAddress,
        InetSocketAddress readinessAddress,
        Duration drainTimeout,
        int eventLoopThreads,
        InboundSourceMode inboundSource,
        Optional<XdsClientSettings> xds,
        Duration xdsSyncTimeout,
        Optional<CaClientSettings> ca,
        Optional<Path> zdsSocket,
        DnsSettings dns) {

    public ZtunnelSettings {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(localConfigFile, "localConfigFile");
        Objects.requireNonNull(localConfigInline, "localConfigInline");
        pods = List.copyOf(pods);
        Objects.requireNonNull(podsFile, "podsFile");
        Objects.requireNonNull(caDir, "caDir");
        Objects.requireNonNull(caOut, "caOut");
        Objects.requireNonNull(adminAddress, "adminAddress");
        Objects.requireNonNull(metricsAddress, "metricsAddress");
        Objects.requireNonNull(readinessAddress, "readinessAddress");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(inboundSource, "inboundSource");
        Objects.requireNonNull(xds, "xds");
        Objects.requireNonNull(xdsSyncTimeout, "xdsSyncTimeout");
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(zdsSocket, "zdsSocket");
        Objects.requireNonNull(dns, "dns");
        if (zdsSocket.isPresent() && (!pods.isEmpty() || podsFile.isPresent())) {
            throw new IllegalArgumentException("pods come from the node agent (ZDS) or are given locally, not both");
        }
        if (xds.isPresent() && (localConfigFile.isPresent() || localConfigInline.isPresent())) {
            throw new IllegalArgumentException("state comes from xDS or from a local config, not both");
        }
        if (ca.isPresent() && (caDir.isPresent() || caOut.isPresent())) {
            throw new IllegalArgumentException("certificates come from istiod's CA or from a local CA, not both");
        }
    }

    /** The settings as {@code /config_dump} shows them. */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        localConfigFile.ifPresent(f -> out.put("localConfig", f.toString()));
        if (localConfigFile.isEmpty() && localConfigInline.isPresent()) {
            out.put("localConfig", "inline (LOCAL_XDS)");
        }
        xds.ifPresent(x -> out.put("xdsAddress", x.address() + (x.tls().isPresent() ? " (TLS)" : "")));
        xds.ifPresent(x -> out.put("xdsSyncTimeout", xdsSyncTimeout.toString()));
        podsFile.ifPresent(f -> out.put("podsFile", f.toString()));
        zdsSocket.ifPresent(z -> out.put("zdsSocket", z.toString()));
        if (ca.isPresent()) {
            out.put("caSource", "istiod " + ca.get().address() + (ca.get().tls().isPresent() ? " (TLS)" : ""));
            out.put("tokenFile", ca.get().tokenFile().toString());
        } else {
            out.put("caSource", caDir.map(d -> "plugged-in " + d).orElse("self-signed"));
        }
        out.put("adminAddress", hostPort(adminAddress));
        out.put("metricsAddress", hostPort(metricsAddress));
        out.put("readinessAddress", hostPort(readinessAddress));
        out.put("drainTimeout", drainTimeout.toString());
        out.put("eventLoopThreads", eventLoopThreads);
        out.put("inboundSource", inboundSource.name());
        out.put("dnsCapture", dns.enabled());
        out.put(
                "dnsUpstreams",
                dns.upstreams().stream().map(ZtunnelSettings::hostPort).toList());
        if (dns.enabled()) {
            out.put("dnsPort", dns.port());
            out.put("clusterDomain", dns.clusterDomain());
        }
        return out;
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
