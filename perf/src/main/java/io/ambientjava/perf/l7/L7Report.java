package io.ambientjava.perf.l7;

import java.time.Instant;
import java.util.List;

/** A whole run: the results side by side and the conditions they were measured in. */
record L7Report(
        L7Options options,
        List<L7Result> results,
        Instant started,
        int cpus,
        String loadBefore,
        String loadAfter,
        List<String> waypointCommand) {}
