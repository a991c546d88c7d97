package io.ambientjava.ztunnel.controlplane;

/** The control plane cannot be reached or authenticated to; the message names what and why. */
public class ControlPlaneException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ControlPlaneException(String message) {
        super(message);
    }

    public ControlPlaneException(String message, Throwable cause) {
        super(message, cause);
    }
}
