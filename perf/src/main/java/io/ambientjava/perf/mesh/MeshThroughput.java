package io.ambientjava.perf.mesh;

/** Bytes that arrived at the sink over {@code streams} connections in {@code seconds}. */
public record MeshThroughput(int streams, long bytes, double seconds, long openStreamsAtEnd) {

    public MeshThroughput {
        if (seconds <= 0) {
            throw new IllegalArgumentException("throughput window must be positive, was " + seconds + " s");
        }
    }

    public double mibPerSecond() {
        return bytes / seconds / (1024.0 * 1024.0);
    }

    public double gbitPerSecond() {
        return bytes * 8.0 / seconds / 1e9;
    }
}
