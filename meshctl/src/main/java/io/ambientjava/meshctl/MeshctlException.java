package io.ambientjava.meshctl;

/** A failure the user can act on; its message is printed as the one error line. */
public class MeshctlException extends RuntimeException {

    private final int exitCode;

    public MeshctlException(String message) {
        this(message, null);
    }

    public MeshctlException(String message, Throwable cause) {
        super(message, cause);
        this.exitCode = ExitCodes.FAILED;
    }

    public int exitCode() {
        return exitCode;
    }
}
