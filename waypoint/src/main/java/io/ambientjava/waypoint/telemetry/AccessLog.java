package io.ambientjava.waypoint.telemetry;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One line per request (handed to {@code out}, the waypoint's {@link AccessLogWriter} on stdout), in the spirit of Envoy's default format:
 * {@code [start] "METHOD PATH PROTOCOL" status flags bytes_in bytes_out duration_ms attempts "request-id"
 * "authority" "upstream host" cluster route source principal}, then {@code rbac_log=<policies>} when an RBAC
 * LOG (audit) filter matched.
 */
public final class AccessLog implements RequestObserver {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT.withZone(ZoneOffset.UTC);

    private final Consumer<String> out;

    /** {@code out} takes whole lines, each ending in a newline. */
    public AccessLog(Consumer<String> out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    @Override
    public void onRequest(RequestRecord r) {
        out.accept(line(r, "\n"));
    }

    /** The line without its newline. */
    public static String format(RequestRecord r) {
        return line(r, "");
    }

    /** Built in one concatenation with its ending: a line per request, not a line and then a copy of it. */
    private static String line(RequestRecord r, String end) {
        return "[" + TIME.format(r.start()) + "] \"" + r.method() + " " + r.path() + " " + r.protocol() + "\" "
                + r.status() + " " + r.responseFlags() + " " + r.requestBytes() + " " + r.responseBytes() + " "
                + r.durationMillis() + " " + r.attempts() + " \"" + r.requestId() + "\" \"" + r.authority() + "\" \""
                + r.upstreamHost().orElse("-") + "\" " + r.cluster() + " " + r.routeName() + " "
                + r.sourceAddress().orElse("-") + " " + r.sourcePrincipal().orElse("-")
                + (r.rbacLogged().isEmpty() ? "" : " rbac_log=" + String.join(",", r.rbacLogged()))
                + end;
    }
}
