package io.ambientjava.cni;

/**
 * A CNI error: one of the spec's well-known codes (or 100+ for ours), the message, and optional details. The
 * plugin prints it as {@code {cniVersion, code, msg, details}} and exits non-zero.
 */
public class CniException extends RuntimeException {
    public static final int INCOMPATIBLE_VERSION = 1;
    public static final int UNSUPPORTED_FIELD = 2;
    public static final int UNKNOWN_CONTAINER = 3;
    public static final int INVALID_ENVIRONMENT = 4;
    public static final int IO_FAILURE = 5;
    public static final int DECODING_FAILURE = 6;
    public static final int INVALID_NETWORK_CONFIG = 7;
    public static final int TRY_AGAIN_LATER = 11;
    /** Ours: the pod could not be enrolled (redirection failed or ztunnel refused it). */
    public static final int ENROLLMENT_FAILED = 100;

    private final int code;
    private final String details;

    public CniException(int code, String message) {
        this(code, message, "");
    }

    public CniException(int code, String message, String details) {
        super(message);
        this.code = code;
        this.details = details == null ? "" : details;
    }

    public int code() {
        return code;
    }

    public String details() {
        return details;
    }
}
