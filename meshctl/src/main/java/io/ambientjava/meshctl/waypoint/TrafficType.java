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

    /** The type whose label is {@code value} (any case), or an {@link IllegalArgumentException} listing them. */
    public static TrafficType of(String value) {
        for (TrafficType type : values()) {
            if (type.label.equalsIgnoreCase(value)) {
                return type;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not one of service, workload, all, none");
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
