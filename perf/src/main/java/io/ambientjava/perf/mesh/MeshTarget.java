package io.ambientjava.perf.mesh;

/** One of the targets for ztunnel, checked against a run. */
public record MeshTarget(String goal, String measured, Verdict verdict) {

    public enum Verdict {
        PASS("PASS"),
        FALLS_SHORT("FALLS SHORT"),
        NOT_MEASURED("not measured");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        static Verdict of(boolean met) {
            return met ? PASS : FALLS_SHORT;
        }
    }
}
