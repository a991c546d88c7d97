package io.ambientjava.waypoint.telemetry;

/** Told about every finished request (metrics, access log). Must not block. */
@FunctionalInterface
public interface RequestObserver {

    RequestObserver NONE = record -> {};

    void onRequest(RequestRecord record);

    default RequestObserver and(RequestObserver other) {
        return record -> {
            onRequest(record);
            other.onRequest(record);
        };
    }
}
