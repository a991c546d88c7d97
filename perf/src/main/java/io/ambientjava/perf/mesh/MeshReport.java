package io.ambientjava.perf.mesh;

import java.time.Instant;
import java.util.List;

/** A finished run: what was asked, what came out, and the machine's load around it. */
public record MeshReport(
        MeshOptions options,
        List<MeshVariantResult> results,
        List<EnrollmentResult> enrollment,
        Instant started,
        int processors,
        String loadBefore,
        String loadAfter) {

    public MeshReport {
        results = List.copyOf(results);
        enrollment = List.copyOf(enrollment);
    }
}
