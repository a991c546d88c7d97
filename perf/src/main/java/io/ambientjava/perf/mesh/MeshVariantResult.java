package io.ambientjava.perf.mesh;

import io.ambientjava.perf.load.LatencySample;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Everything measured for one variant; {@code proxies} is empty for {@code direct}; {@code redirect} is the
 * redirection mode of a {@code ztunnel} run, empty for the others.
 */
public record MeshVariantResult(
        MeshVariant variant,
        Optional<MeshRedirect> redirect,
        MeshThroughput single,
        MeshThroughput multi,
        LatencySample latency,
        List<ProxyFigures> proxies,
        List<String> proxyCommands) {

    public MeshVariantResult {
        proxies = List.copyOf(proxies);
        proxyCommands = List.copyOf(proxyCommands);
    }

    /** {@code direct}, {@code ztunnel (ebpf)}, ... */
    public String label() {
        return variant.label() + redirect.map(r -> " (" + r.label() + ")").orElse("");
    }

    public double p(double percentile) {
        return latency.percentileMicros(percentile);
    }

    /** The costliest proxy's cores per 1,000 requests/s. */
    public OptionalDouble maxCoresPerThousandRps() {
        return proxies.stream().mapToDouble(ProxyFigures::coresPerThousandRps).max();
    }

    public OptionalLong maxPeakResidentBytes() {
        return proxies.stream().mapToLong(ProxyFigures::peakResidentBytes).max();
    }

    public OptionalLong maxResidentBytes() {
        return proxies.stream().mapToLong(ProxyFigures::residentBytes).max();
    }
}
