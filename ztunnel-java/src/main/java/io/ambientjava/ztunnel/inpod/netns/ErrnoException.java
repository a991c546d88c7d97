package io.ambientjava.ztunnel.inpod.netns;

import java.io.IOException;

/** A system call failed; the message names the call and gives the C library's text for errno. */
public final class ErrnoException extends IOException {
    private final int errno;

    ErrnoException(String call, int errno) {
        super(call + " failed: " + Libc.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
