package io.ambientjava.waypoint.config;

/**
 * An Envoy resource uses something the waypoint does not implement, or uses it wrongly. The message names the
 * field by its Envoy path (e.g. {@code Route[0].route.cors}) so the control plane operator sees what to drop.
 */
public final class UnsupportedConfigException extends RuntimeException {

    public UnsupportedConfigException(String message) {
        super(message);
    }
}
