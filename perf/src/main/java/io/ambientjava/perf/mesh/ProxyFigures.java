package io.ambientjava.perf.mesh;

/**
 * One proxy process's cost in the latency case.
 *
 * @param cpuSeconds CPU (user + system) used in the measured window
 * @param windowSeconds length of that window
 * @param requests requests sent in that window
 * @param residentBytes VmRSS at the end of the window
 * @param peakResidentBytes VmHWM at the end of the window (includes start-up)
 */
public record ProxyFigures(
        String name,
        double cpuSeconds,
        double windowSeconds,
        long requests,
        long residentBytes,
        long peakResidentBytes) {

    public ProxyFigures {
        if (windowSeconds <= 0 || requests <= 0) {
            throw new IllegalArgumentException(
                    name + ": window and request count must be positive, were " + windowSeconds + " s, " + requests);
        }
    }

    public double cpuSecondsPerThousandRequests() {
        return cpuSeconds / (requests / 1000.0);
    }

    /** Cores busy per 1,000 requests/s: CPU seconds per second, scaled to a rate of 1,000/s. */
    public double coresPerThousandRps() {
        double rate = requests / windowSeconds;
        return (cpuSeconds / windowSeconds) / (rate / 1000.0);
    }
}
