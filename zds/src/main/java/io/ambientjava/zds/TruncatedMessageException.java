package io.ambientjava.zds;

import java.io.IOException;

/** A datagram (or its control data) did not fit and was cut; it is consumed, the connection is still usable. */
public final class TruncatedMessageException extends IOException {
    TruncatedMessageException(String message) {
        super(message);
    }
}
