package io.ambientjava.perf.controlplane;

import io.ambientjava.perf.controlplane.ControlPlaneBenchmark.ChangeTiming;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The figures of one control-plane scale run, printed as Markdown with the targets of issue #5. */
record ControlPlaneReport(
        ScaleMesh mesh,
        int clients,
        Duration debounce,
        double startSeconds,
        long[] syncNanos,
        long heapAfterGcBytes,
        long residentBytes,
        long peakResidentBytes,
        List<ChangeTiming> additions,
        List<ChangeTiming> removals) {

    static final long HEAP_TARGET_BYTES = 512L * 1024 * 1024;
    static final long FANOUT_TARGET_NANOS = 100_000_000L;

    String markdown() {
        long[] sync = syncNanos.clone();
        Arrays.sort(sync);
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "## istiod-lite at scale: %,d pods, %,d services, %d namespaces, %d nodes, %d ztunnels (debounce %d ms)%n%n",
                mesh.pods(),
                mesh.services(),
                mesh.namespaces(),
                mesh.nodes(),
                clients,
                debounce.toMillis()));
        out.append("| figure | value | target |\n|---|---|---|\n");
        row(out, "start to ready (process start, folder read)", seconds(startSeconds), "");
        row(out, "full sync, all clients connecting at once: median client", millis(sync[sync.length / 2]), "");
        row(out, "full sync: last client", millis(sync[sync.length - 1]), "");
        row(
                out,
                "heap in use after a full GC, all clients synced",
                mebibytes(heapAfterGcBytes),
                "≤ 512 MiB " + (heapAfterGcBytes <= HEAP_TARGET_BYTES ? "(met)" : "(missed)"));
        row(out, "resident memory (now / peak)", mebibytes(residentBytes) + " / " + mebibytes(peakResidentBytes), "");
        changeRows(out, "pod added", additions);
        changeRows(out, "pod removed", removals);
        return out.toString();
    }

    private static void changeRows(StringBuilder out, String what, List<ChangeTiming> timings) {
        long[] last = ChangeTiming.column(timings, ChangeTiming::lastNanos);
        long[] first = ChangeTiming.column(timings, ChangeTiming::firstNanos);
        long[] spread = timings.stream()
                .mapToLong(t -> t.lastNanos() - t.firstNanos())
                .sorted()
                .toArray();
        long medianLast = last[last.length / 2];
        row(
                out,
                what + ": file written → last client has it (median / max of " + timings.size() + ")",
                millis(medianLast) + " / " + millis(last[last.length - 1]),
                "≤ 100 ms " + (medianLast <= FANOUT_TARGET_NANOS ? "(met)" : "(missed)"));
        row(out, what + ": file written → first client", millis(first[first.length / 2]) + " median", "");
        row(out, what + ": first → last client (fan-out)", millis(spread[spread.length / 2]) + " median", "");
        int responses = timings.stream().mapToInt(ChangeTiming::responses).max().orElse(0);
        int resources = timings.stream().mapToInt(ChangeTiming::resources).max().orElse(0);
        row(
                out,
                what + ": address responses / resources sent to all clients (max)",
                responses + " / " + resources,
                "incremental: one small delta per client");
    }

    private static void row(StringBuilder out, String figure, String value, String target) {
        out.append("| ")
                .append(figure)
                .append(" | ")
                .append(value)
                .append(" | ")
                .append(target)
                .append(" |\n");
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    private static String seconds(double seconds) {
        return String.format(Locale.ROOT, "%.2f s", seconds);
    }

    private static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (1024.0 * 1024.0));
    }
}
