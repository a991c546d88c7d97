package io.ambientjava.perf.l7;

import java.util.List;

/**
 * One variant's figures.
 *
 * @param latency the fixed-rate case
 * @param latencyCpu CPU seconds each proxy used during the latency case's measured window
 * @param latencyWindowSeconds that window's length
 * @param max wrk's closed-loop run
 * @param maxCpu CPU seconds each proxy used during the wrk run
 * @param residentBytes each proxy's RSS at the end of the latency case
 * @param peakResidentBytes each proxy's VmHWM at the end of the run
 */
record L7Result(
        L7Variant variant,
        List<String> proxies,
        HttpOpenLoopProbe.Result latency,
        double[] latencyCpu,
        double latencyWindowSeconds,
        WrkRun max,
        double[] maxCpu,
        double maxWindowSeconds,
        long[] residentBytes,
        long[] peakResidentBytes) {}
