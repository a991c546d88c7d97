package io.ambientjava.hbone.client;

import java.util.Optional;

/** The peer answered the CONNECT with a status other than 200 (400 bad request, 401 denied, 503 unreachable...). */
public final class HboneRefusedException extends HboneConnectException {

    private final int status;
    private final Optional<String> reason;

    public HboneRefusedException(String target, int status, Optional<String> reason) {
        super("CONNECT " + target + " refused with " + status
                + reason.map(r -> ": " + r).orElse(""));
        this.status = status;
        this.reason = reason;
    }

    public int status() {
        return status;
    }

    /** The peer's {@code hbone-error} header, if it sent one. */
    public Optional<String> reason() {
        return reason;
    }
}
