package io.ambientjava.ztunnel.admin;

import io.ambientjava.ztunnel.status.Readiness;
import io.ambientjava.ztunnel.status.ZtunnelStatus;
import java.util.Objects;

/** The readiness port (15021): {@code /healthz/ready} answers 200 when the proxy is ready, 503 with why not. */
public final class ReadinessApi {

    private final ZtunnelStatus status;

    public ReadinessApi(ZtunnelStatus status) {
        this.status = Objects.requireNonNull(status, "status");
    }

    public HttpReply ready(HttpExchange request) {
        Readiness readiness = status.readiness();
        return readiness.ready()
                ? HttpReply.text(200, "ready\n")
                : HttpReply.text(503, "not ready: " + readiness.reason() + "\n");
    }

    public HttpRoutes routes() {
        return new HttpRoutes("readiness").get("/healthz/ready", this::ready);
    }
}
