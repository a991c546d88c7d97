package io.ambientjava.waypoint.telemetry;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * Telemetry of one request, told what happens to it on the request's event loop: each upstream attempt (whose
 * headers it may add trace context to), the upstream's answer, and the end. Must not block.
 */
public interface RequestTelemetry {

    /** An upstream attempt is about to send {@code headers}. */
    void onUpstreamRequest(HttpHeaders headers, String cluster, String upstreamAddress, int attempt);

    /** The upstream answered with {@code status} and {@code headers}. */
    void onUpstreamResponse(int status, HttpHeaders headers);

    /** The request is over. */
    void finish(RequestRecord record);

    /** Only the finished record, to {@code observer}. */
    static RequestTelemetry recording(RequestObserver observer) {
        return new RequestTelemetry() {
            @Override
            public void onUpstreamRequest(HttpHeaders headers, String cluster, String upstreamAddress, int attempt) {}

            @Override
            public void onUpstreamResponse(int status, HttpHeaders headers) {}

            @Override
            public void finish(RequestRecord record) {
                observer.onRequest(record);
            }
        };
    }

    /** Both, in order. */
    static RequestTelemetry both(RequestTelemetry a, RequestTelemetry b) {
        return new RequestTelemetry() {
            @Override
            public void onUpstreamRequest(HttpHeaders headers, String cluster, String upstreamAddress, int attempt) {
                a.onUpstreamRequest(headers, cluster, upstreamAddress, attempt);
                b.onUpstreamRequest(headers, cluster, upstreamAddress, attempt);
            }

            @Override
            public void onUpstreamResponse(int status, HttpHeaders headers) {
                a.onUpstreamResponse(status, headers);
                b.onUpstreamResponse(status, headers);
            }

            @Override
            public void finish(RequestRecord record) {
                a.finish(record);
                b.finish(record);
            }
        };
    }
}
