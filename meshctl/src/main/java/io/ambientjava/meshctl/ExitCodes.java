package io.ambientjava.meshctl;

/** The exit codes of every meshctl command. */
public final class ExitCodes {

    public static final int OK = 0;
    /** The command failed, or (for {@code analyze}) found errors. */
    public static final int FAILED = 1;
    /** The command line itself was wrong. */
    public static final int USAGE = 2;

    private ExitCodes() {}
}
