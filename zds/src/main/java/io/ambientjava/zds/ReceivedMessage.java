package io.ambientjava.zds;

import java.util.List;

/**
 * One datagram read from a {@link SeqpacketSocket}: its bytes and the file descriptors that came with it
 * (SCM_RIGHTS, already close-on-exec). The receiver owns the descriptors and must close each one.
 */
public record ReceivedMessage(byte[] data, List<Integer> fds) {
    public ReceivedMessage {
        fds = List.copyOf(fds);
    }

    /** Closes every received descriptor (for messages that should not have carried any). */
    public void closeFds() {
        fds.forEach(Libc::closeQuietly);
    }
}
