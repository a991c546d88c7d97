package io.ambientjava.zds;

import java.io.IOException;

/** A failed system call: which one, on what, and the kernel's errno with its text. */
public final class NativeException extends IOException {
    private final String call;
    private final int errno;

    NativeException(String call, String subject, int errno, String errorText) {
        super(call + (subject.isEmpty() ? "" : " " + subject) + ": " + errorText + " (errno " + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The system call that failed, e.g. {@code connect}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
