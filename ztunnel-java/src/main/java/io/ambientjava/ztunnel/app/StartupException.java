package io.ambientjava.ztunnel.app;

/** A reason ztunnel cannot start, worded for the one line the command prints before exiting. */
public final class StartupException extends Exception {

    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
