package io.ambientjava.waypoint.upstream;

/** The HTTP version spoken to an upstream endpoint. */
public enum UpstreamProtocol {
    HTTP1,
    HTTP2
}
