package io.ambientjava.meshctl.waypoint;

/** Which traffic a waypoint takes ({@code istio.io/waypoint-for}), as istioctl's {@code --for}. */
public enum TrafficType {
    SERVICE("service"),
    WORKLOAD("workload"),
    ALL("all"),
    NONE("none");

    private final String label;

    TrafficType(String label) {
        this.label = label;
    }

    /** The label value Istio reads. */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
