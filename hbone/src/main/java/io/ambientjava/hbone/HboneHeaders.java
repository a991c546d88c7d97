package io.ambientjava.hbone;

import io.netty.util.AsciiString;
import java.net.InetSocketAddress;

/** Header names HBONE uses on CONNECT requests and responses. */
public final class HboneHeaders {

    /** {@code forwarded: for="<original source ip:port>"}, set by the client side. */
    public static final AsciiString FORWARDED = AsciiString.cached("forwarded");

    /** W3C baggage: the source workload's cluster, namespace, workload name, service, version. */
    public static final AsciiString BAGGAGE = AsciiString.cached("baggage");

    /** W3C trace context. */
    public static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");

    /** On a refused CONNECT: why, in words (also logged by the server). */
    public static final AsciiString ERROR = AsciiString.cached("hbone-error");

    private HboneHeaders() {}

    /** {@code for="198.18.0.5:43210"} or {@code for="[fd00::5]:43210"} (RFC 7239 quotes addresses with ports). */
    public static String forwardedFor(InetSocketAddress source) {
        String ip = source.getAddress().getHostAddress();
        String host = ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip;
        return "for=\"" + host + ":" + source.getPort() + "\"";
    }
}
