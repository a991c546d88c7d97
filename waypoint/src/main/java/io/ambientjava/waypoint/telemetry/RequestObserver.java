package io.ambientjava.waypoint.telemetry;

import io.ambientjava.waypoint.config.HttpTelemetryConfig;
import io.ambientjava.waypoint.filter.RequestView;

/** Told about every finished request (metrics, access log). Must not block. */
@FunctionalInterface
public interface RequestObserver {

    RequestObserver NONE = record -> {};

    void onRequest(RequestRecord record);

    /**
     * A request on a listener with {@code config} starts (its headers in {@code view}); by default only its
     * finished record is observed. {@link WaypointTelemetry} adds tracing, access logs and metric overrides.
     */
    default RequestTelemetry begin(HttpTelemetryConfig config, RequestView view) {
        return RequestTelemetry.recording(this);
    }

    default RequestObserver and(RequestObserver other) {
        RequestObserver first = this;
        return new RequestObserver() {
            @Override
            public void onRequest(RequestRecord record) {
                first.onRequest(record);
                other.onRequest(record);
            }

            @Override
            public RequestTelemetry begin(HttpTelemetryConfig config, RequestView view) {
                return RequestTelemetry.both(first.begin(config, view), other.begin(config, view));
            }
        };
    }
}
