package io.ambientjava.waypoint.telemetry;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code access} logger, in the spirit of Envoy's default format:
 * {@code [start] "METHOD PATH PROTOCOL" status flags bytes_in bytes_out duration_ms attempts "request-id"
 * "authority" "upstream host" cluster route source principal}, then {@code rbac_log=<policies>} when an RBAC
 * LOG (audit) filter matched.
 */
public final class AccessLog implements RequestObserver {

    private static final Logger log = LoggerFactory.getLogger("access");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT.withZone(ZoneOffset.UTC);

    @Override
    public void onRequest(RequestRecord r) {
        if (log.isInfoEnabled()) {
            log.info(format(r));
        }
    }

    public static String format(RequestRecord r) {
        return "[" + TIME.format(r.start()) + "] \"" + r.method() + " " + r.path() + " " + r.protocol() + "\" "
                + r.status() + " " + r.responseFlags() + " " + r.requestBytes() + " " + r.responseBytes() + " "
                + r.durationMillis() + " " + r.attempts() + " \"" + r.requestId() + "\" \"" + r.authority() + "\" \""
                + r.upstreamHost().orElse("-") + "\" " + r.cluster() + " " + r.routeName() + " "
                + r.sourceAddress().orElse("-") + " " + r.sourcePrincipal().orElse("-")
                + (r.rbacLogged().isEmpty() ? "" : " rbac_log=" + String.join(",", r.rbacLogged()));
    }
}
