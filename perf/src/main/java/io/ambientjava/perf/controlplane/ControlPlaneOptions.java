package io.ambientjava.perf.controlplane;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** What one control-plane scale run uses. */
record ControlPlaneOptions(
        ScaleMesh mesh, int clients, int changes, Duration debounce, Path istiodJar, List<String> jvmOptions) {

    ControlPlaneOptions {
        if (clients < 1) {
            throw new IllegalArgumentException("--clients must be at least 1");
        }
        if (changes < 1) {
            throw new IllegalArgumentException("--changes must be at least 1");
        }
        if (debounce.isNegative()) {
            throw new IllegalArgumentException("--debounce must not be negative");
        }
        jvmOptions = List.copyOf(jvmOptions);
    }
}
